// A local HTTP sink for the peer SDKs: it listens on 127.0.0.1 only, responds to their settings
// and event requests with fixed bodies, and records the identify scores found in each request.
import { createServer } from "node:http";
import { gunzipSync } from "node:zlib";

/** Largest request body the sink reads, in bytes. A larger body gets a 413 response. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * Returns the text of a request body as the peers encode it: gzip, a `data=` form field, and
 * base64 are undone when present.
 */
export function decodeBody(buffer) {
  let bytes = buffer;
  if (bytes.length > 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch {
      return bytes.toString("latin1");
    }
  }
  let text = bytes.toString("utf8");
  if (/^data=/.test(text)) {
    const data = new URLSearchParams(text).get("data") ?? "";
    text = /^[\s[{]/.test(data) ? data : Buffer.from(data, "base64").toString("utf8");
  }
  return text;
}

/** Returns the values of every "score" property in a decoded body, in their order. */
export function scoresIn(text) {
  return [...text.matchAll(/"score"\s*:\s*"?(\d+)/g)].map((match) => Number(match[1]));
}

function corsHeaders(request) {
  const origin = request.headers.origin;
  return {
    "Access-Control-Allow-Origin": origin || "*",
    "Access-Control-Allow-Credentials": "true",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": request.headers["access-control-request-headers"] || "*",
    "Access-Control-Max-Age": "600",
    "Timing-Allow-Origin": origin || "*",
    Vary: "Origin",
  };
}

/**
 * Starts the sink on 127.0.0.1 with a free port. `routes` is a list of { method, pattern, status,
 * body(url, sinkUrl), contentType }. The first route whose method and path pattern match
 * responds to the request, and other requests get 200 with `{}`. Returns { url, requests, scores(),
 * reset(), stop() }.
 */
export async function startSink(routes = []) {
  const requests = [];
  let baseUrl = "";
  const server = createServer((request, response) => {
    const chunks = [];
    let size = 0;
    request.on("data", (chunk) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on("end", () => {
      const headers = corsHeaders(request);
      if (request.method === "OPTIONS") {
        response.writeHead(204, headers).end();
        return;
      }
      if (size > MAX_BODY_BYTES) {
        response.writeHead(413, headers).end();
        return;
      }
      const url = new URL(request.url, "http://127.0.0.1");
      const text = decodeBody(Buffer.concat(chunks));
      requests.push({
        method: request.method,
        path: url.pathname,
        arrivedAt: performance.now(),
        text,
        scores: scoresIn(text),
      });
      const route = routes.find((item) => item.method === request.method && item.pattern.test(url.pathname));
      const status = route?.status ?? 200;
      const body = route ? route.body(url, baseUrl) : "{}";
      response.writeHead(status, { ...headers, "Content-Type": route?.contentType ?? "application/json" });
      response.end(body);
    });
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  baseUrl = `http://127.0.0.1:${server.address().port}`;
  return {
    url: baseUrl,
    requests,
    /** Returns every score received since the last reset, in order of arrival. */
    scores: () => requests.flatMap((item) => item.scores),
    reset: () => {
      requests.length = 0;
    },
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}
