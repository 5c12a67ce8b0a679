// The core of herogi.min.js and herogi.mjs, inlined by the build: the wasm module compressed in
// zlib's deflate format and encoded as base64 text. Inflating it in the page takes the browser's
// own DecompressionStream, so the script carries no inflate code, and the work runs natively
// rather than in JavaScript the page has only just parsed. The split build replaces this module
// with js/split-core.js.
import base64Core from "../pkg/herogi_bg.wasm.deflate";

/** Returns the bytes that `text`, in base64, encodes. */
function decodeBase64(text) {
  if (typeof Uint8Array.fromBase64 === "function") return Uint8Array.fromBase64(text);
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * How long the streaming compile may take before the core is also compiled in full, in
 * milliseconds. It is far longer than the streaming compile takes: init to ready, which includes
 * it, took 6 to 8 ms in bench/phases.mjs on a 2-core machine. So only a compile that never
 * settles reaches it.
 */
const STREAMING_MS = 5000;

/**
 * Returns a Promise of the compiled core. The browser compiles it while it is inflated, on its
 * compiler threads, and the type application/wasm is what compileStreaming requires. Where that
 * path throws, gives no module or has not settled after STREAMING_MS, as on a page that replaced
 * Response or wrapped compileStreaming, the core is inflated in full and then compiled.
 */
export function loadCore() {
  if (typeof DecompressionStream !== "function") {
    return Promise.reject(
      new Error(
        "this browser has no DecompressionStream, which herogi needs to unpack its core " +
          "(Chrome 80, Firefox 113 and Safari 16.4 have it)",
      ),
    );
  }
  const bytes = decodeBase64(base64Core);
  let whole;
  const compileWhole = () => (whole = whole || inflate(bytes).then((inflated) => WebAssembly.compile(inflated)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => compileWhole().then(resolve, reject), STREAMING_MS);
    new Promise((streamed) => {
      // A Response's body streams from memory. A Blob's stream reads through the browser's blob
      // storage, which took 15 to 50 ms against 4 to 7 ms in headless Chromium on a 2-core machine.
      const inflated = new Response(bytes).body.pipeThrough(new DecompressionStream("deflate"));
      streamed(WebAssembly.compileStreaming(new Response(inflated, { headers: { "Content-Type": "application/wasm" } })));
    })
      .then((module) => (module instanceof WebAssembly.Module ? module : compileWhole()), compileWhole)
      .then(
        (module) => {
          clearTimeout(timer);
          resolve(module);
        },
        (error) => {
          clearTimeout(timer);
          reject(error);
        },
      );
  });
}

/** Returns the inflated `bytes`, read from a DecompressionStream without Response. */
async function inflate(bytes) {
  const stream = new DecompressionStream("deflate");
  const writer = stream.writable.getWriter();
  // A damaged input rejects these and the read below alike; the read reports it.
  writer.write(bytes).then(undefined, () => {});
  writer.close().then(undefined, () => {});
  const reader = stream.readable.getReader();
  const chunks = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks[chunks.length] = value;
    length += value.length;
  }
  const inflated = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    inflated.set(chunk, at);
    at += chunk.length;
  }
  return inflated;
}
