// The peer SDKs that `bench/run.mjs --peers` measures: each one's script-tag build from
// bench/peers/node_modules (installed by bench/peers/install.sh), its page in bench/pages/, and
// the local sink on 127.0.0.1 that responds to its settings and event requests.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { startSink } from "./sink.mjs";

/** Time after which a burst counts as delivered when no new score has reached the sink, in ms.
 * It is above the longest flush interval of the peers' defaults (Mixpanel's 5 s). */
const IDLE_MS = 12_000;
/** Maximum wait for a burst to reach the sink, in milliseconds. */
const MAX_DELIVERY_MS = 180_000;

/** Each peer: package, script-tag build (the file a site would serve), page, identify path. */
const PEERS = [
  {
    name: "Segment analytics-next",
    package: "@segment/analytics-next",
    script: "dist/umd/standalone.js",
    page: "bench-segment.html",
    endpoint: /^\/v1\/i$/,
  },
  {
    name: "Mixpanel",
    package: "mixpanel-browser",
    script: "dist/mixpanel.min.js",
    page: "bench-mixpanel.html",
    endpoint: /^\/(track|engage)\/?$/,
  },
  {
    name: "Amplitude browser",
    package: "@amplitude/analytics-browser",
    script: "lib/scripts/amplitude-min.js",
    page: "bench-amplitude.html",
    endpoint: /^\/2\/httpapi$/,
  },
  {
    name: "PostHog",
    package: "posthog-js",
    script: "dist/array.js",
    page: "bench-posthog.html",
    endpoint: /^\/(e|i\/v0\/e|batch)\/?$/,
  },
  {
    name: "RudderStack",
    package: "@rudderstack/analytics-js",
    script: "dist/npm/modern/bundled/umd/index.js",
    page: "bench-rudderstack.html",
    endpoint: /^\/v1\/(identify|batch)$/,
  },
];

/** Responses of the sink that the peers need in order to start and to accept their events. */
const ROUTES = [
  {
    // Segment's settings, with the Segment.io destination sending to the sink over HTTP.
    method: "GET",
    pattern: /^\/v1\/projects\/[^/]+\/settings$/,
    body: (url, sinkUrl) =>
      JSON.stringify({
        integrations: {
          "Segment.io": { apiKey: "bench-write-key", apiHost: `${new URL(sinkUrl).host}/v1`, protocol: "http" },
        },
        plan: {},
        metrics: { sampleRate: 0 },
      }),
  },
  {
    // RudderStack's source configuration: enabled, no destinations, no error or metric reports.
    method: "GET",
    pattern: /^\/sourceConfig\/?$/,
    body: () =>
      JSON.stringify({
        source: {
          id: "bench-source",
          name: "bench",
          writeKey: "bench-write-key",
          enabled: true,
          workspaceId: "bench-workspace",
          config: { statsCollection: { errors: { enabled: false }, metrics: { enabled: false } } },
          destinations: [],
        },
      }),
  },
  {
    method: "POST",
    pattern: /^\/2\/httpapi$/,
    body: () => JSON.stringify({ code: 200, events_ingested: 1, payload_size_bytes: 1, server_upload_time: 1 }),
  },
  { method: "POST", pattern: /^\/(track|engage)\/?$/, body: () => JSON.stringify({ status: 1, error: null }) },
  { method: "POST", pattern: /^\/v1\/(identify|batch)$/, contentType: "text/plain", body: () => "OK" },
];

/** Starts the sink that every peer sends to. */
export function startPeerSink() {
  return startSink(ROUTES);
}

/**
 * Waits until the sink has received every score of the burst, or until no new score has arrived
 * for IDLE_MS. Returns the delivery: requests, distinct scores, whether they arrived in call
 * order, and the time from the burst's start to the arrival of the last score.
 */
async function checkSinkDelivery(sink, { burst, burstStart, calls }) {
  const deadline = burstStart + MAX_DELIVERY_MS;
  let seen = -1;
  let changedAt = performance.now();
  for (;;) {
    const count = new Set(sink.scores().filter((score) => score >= 1)).size;
    const now = performance.now();
    if (count >= calls || now > deadline) break;
    if (count !== seen) {
      seen = count;
      changedAt = now;
    } else if (now - changedAt > IDLE_MS) {
      break;
    }
    await delay(50);
  }
  const withScores = sink.requests.filter((request) => request.scores.some((score) => score >= 1));
  const scores = withScores.flatMap((request) => request.scores.filter((score) => score >= 1));
  const last = withScores.at(-1);
  return {
    calls,
    fulfilled: burst.fulfilled,
    rejected: burst.rejected,
    timedOut: burst.timedOut,
    requests: withScores.length,
    scoresSent: new Set(scores).size,
    received: withScores.length,
    applied: null,
    inOrder: scores.every((score, index) => index === 0 || score > scores[index - 1]),
    lastScore: scores.at(-1) ?? null,
    lastCallKept: scores.at(-1) === calls,
    settleMs: last ? last.arrivedAt - burstStart : null,
  };
}

/**
 * Returns a variant for each peer, or throws when bench/peers/install.sh has not installed one.
 * `root` is the repository's folder.
 */
export function peerVariants({ root, sink }) {
  const modules = join(root, "bench/peers/node_modules");
  return PEERS.map((peer) => {
    const manifest = join(modules, peer.package, "package.json");
    const script = join(modules, peer.package, peer.script);
    if (!existsSync(manifest) || !existsSync(script)) {
      throw new Error(`missing ${script}: run bench/peers/install.sh first`);
    }
    const { version } = JSON.parse(readFileSync(manifest, "utf8"));
    return {
      name: `${peer.name} ${version}`,
      scriptFiles: [join("bench/peers/node_modules", peer.package, peer.script)],
      page: `/${peer.page}?${new URLSearchParams({ sink: sink.url })}`,
      endpoint: peer.endpoint,
      beforeBurst: () => sink.reset(),
      checkDelivery: (args) => checkSinkDelivery(sink, args),
    };
  });
}
