// The core of the split build, dist/herogi.split.min.js, in place of js/core.js: the build
// resolves js/index.js's import of the inlined core to this module. The core is fetched from
// herogi_bg.wasm beside the script, or from the URL in the script tag's data-wasm attribute.

// The URL is read as the script first runs, the only time document.currentScript is set.
const script = typeof document === "undefined" ? null : document.currentScript;
let wasmUrl;
let badUrl;
try {
  wasmUrl = new URL(script?.dataset.wasm || "herogi_bg.wasm", script?.src || document.baseURI);
} catch (cause) {
  badUrl = new Error(`the script tag's data-wasm ${script?.dataset.wasm} is not a URL: ${cause.message}`);
}

/**
 * How long the core may take to arrive, in milliseconds. A download that stalls then fails every
 * call with LOAD_FAILED, as a missing core does, in place of leaving them pending. The core is
 * about 32 KiB gzip, so this allows for slow networks.
 */
const FETCH_MS = 30000;

/**
 * Returns a Promise of the compiled core. WebAssembly.compileStreaming compiles while the file
 * downloads but requires the Content-Type application/wasm, so for any other type the whole
 * file is read first. The build pins the file's sha384, so the script runs no other core than
 * the one it was built with. A response that does not match it, an error status included, makes
 * the fetch fail without a status to report.
 */
export async function loadCore() {
  if (badUrl) throw badUrl;
  let response;
  // With an integrity, fetch settles only once the whole file has arrived and matched it.
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), FETCH_MS);
  try {
    response = await fetch(wasmUrl, { integrity: __HEROGI_WASM_INTEGRITY__, signal: controller.signal });
  } catch (cause) {
    const reason = controller.signal.aborted ? `it did not arrive within ${FETCH_MS / 1000} s` : cause.message;
    throw new Error(
      `fetching ${wasmUrl} failed (${reason}). Serve this release's herogi_bg.wasm beside ` +
        "the script, or name its URL in the script tag's data-wasm attribute. Under a " +
        "Content-Security-Policy, connect-src must allow its origin too",
    );
  } finally {
    clearTimeout(timer);
  }
  const type = (response.headers.get("Content-Type") || "").trim().toLowerCase();
  if (type === "application/wasm" && typeof WebAssembly.compileStreaming === "function") {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}
