// The script-tag entry of the split build, dist/herogi.split.min.js: the SDK of herogi.min.js
// without the inlined core. It fetches and compiles herogi_bg.wasm while the page goes on, and
// until then `window.herogi` queues calls as the inline snippet's stub does. Then js/global.js
// installs the SDK and replays the queued calls in order.
//
// js/index.js and js/global.js serve both builds unchanged. The build resolves index.js's imports
// of the inlined core and of fflate to js/split-core.js, so index.js's synchronous start at the
// first call instantiates the module compiled here. global.js is imported only once the core is
// compiled, because it installs the SDK and replays the queue as soon as it runs.
import * as sdk from "./index.js";
import { failCore, provideCore } from "./split-core.js";

// The core's URL: `data-wasm` of the script tag, or herogi_bg.wasm beside the script. It is read
// now, because document.currentScript is only set while the script first runs.
const script = document.currentScript;
let wasmUrl;
let badUrl;
try {
  wasmUrl = new URL(script?.dataset.wasm || "herogi_bg.wasm", script?.src || document.baseURI);
} catch (cause) {
  badUrl = new Error(`herogi could not read the core's URL ${script?.dataset.wasm}: ${cause.message}`);
}

let coreSettled = false;

/**
 * Fetches and compiles the core. WebAssembly.compileStreaming compiles while the file downloads
 * but requires the Content-Type application/wasm, so for any other type the whole file is read
 * first. The module is compiled, not instantiated, because the imports it needs are private to
 * wasm-bindgen's glue, whose initSync instantiates it at the first call as in the inline build.
 * The build pins the file's sha384, so the script runs no other core than the one it was built
 * with.
 */
async function compileCore(url) {
  const response = await fetch(url, { integrity: __HEROGI_WASM_INTEGRITY__ });
  if (!response.ok) {
    throw new Error(
      `herogi could not fetch its WebAssembly core from ${url}: the server responded with HTTP ` +
        `${response.status}. Serve herogi_bg.wasm beside the script, or name its URL in the ` +
        "script tag's data-wasm attribute",
    );
  }
  const type = (response.headers.get("Content-Type") || "").trim().toLowerCase();
  if (type === "application/wasm" && typeof WebAssembly.compileStreaming === "function") {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

/**
 * Returns a stub of the public function `name` that queues its call in the snippet's format,
 * with a Promise when the function returns one. Once js/global.js has replaced window.herogi, a
 * reference the page kept to the stub calls the SDK directly.
 */
function queued(name, returnsPromise) {
  return (...args) => {
    if (coreSettled && window.herogi !== stub) return sdk[name](...args);
    const call = [name, args];
    queue.push(call);
    if (!returnsPromise) return undefined;
    const promise = new Promise((resolve, reject) => call.push(resolve, reject));
    call.push(promise);
    return promise;
  };
}

// Calls the page queued in the inline snippet's stub stay first in the queue. The stub carries
// everything js/index.js exports (version, getHgid, the error classes) at once, so only the four
// calls wait for the core.
const previous = window.herogi;
// An SDK that a copy of herogi.min.js or of this script installed is kept, with its
// configuration, and this copy starts nothing.
const installed =
  Boolean(previous) &&
  !Array.isArray(previous.q) &&
  typeof previous.identify === "function" &&
  typeof previous.HerogiError === "function";
const queue = previous && Array.isArray(previous.q) ? previous.q : [];
const { default: defaultExport, ...exported } = sdk;
const stub = {
  ...exported,
  q: queue,
  init: queued("init", false),
  identify: queued("identify", true),
  reset: queued("reset", false),
  ready: queued("ready", true),
};

// NOTE: when the file cannot be fetched, the calls fail with LOAD_FAILED, and the console error
// of js/index.js still names 'wasm-unsafe-eval'. The cause logged with it names the URL and why.
if (!installed) {
  window.herogi = stub;
  const compiled = badUrl ? Promise.reject(badUrl) : compileCore(wasmUrl);
  compiled
    .then(provideCore, failCore)
    .then(() => {
      coreSettled = true;
      return import("./global.js");
    });
}
