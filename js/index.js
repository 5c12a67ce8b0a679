// The SDK's public functions. They load the wasm core once, keep the calls made before it is
// ready, and hand each call's arguments to the core as they came: argument shifting and every
// rule live in Rust. No function here throws into the page.
import loadCore, { coreIdentify, coreInit } from "../pkg/herogi.js";
import wasmBytes from "../pkg/herogi_bg.wasm";

/** Calls made before the core is ready: [name, args, resolve, reject]. */
const waiting = [];
let loading = null;
let loaded = false;
let loadError = null;

function load() {
  if (!loading) {
    loading = loadCore({ module_or_path: wasmBytes }).then(
      () => {
        loaded = true;
        waiting.splice(0).forEach((call) => settle(call, run(call[0], call[1])));
      },
      (cause) => {
        loadError = cause;
        console.error("herogi: the SDK could not start its WebAssembly core:", cause);
        waiting.splice(0).forEach((call) => settle(call, run(call[0], call[1])));
      },
    );
  }
}

function settle(call, result) {
  if (call[2]) result.then(call[2], call[3]);
}

function hasCallback(args) {
  return args.some((arg) => typeof arg === "function");
}

function herogiError(code, message, cause) {
  const error = new Error(message, { cause });
  error.name = "HerogiError";
  error.code = code;
  return error;
}

/** Runs a call on the loaded core; a failure of the core itself becomes a rejected Promise. */
function run(name, args) {
  let result;
  try {
    if (loadError) {
      throw herogiError(
        "LOAD_FAILED",
        "herogi could not start its WebAssembly core; a Content-Security-Policy needs " +
          "'wasm-unsafe-eval' in script-src",
        loadError,
      );
    }
    if (name === "init") {
      coreInit(args);
      return Promise.resolve();
    }
    return coreIdentify(args);
  } catch (thrown) {
    const error =
      thrown && thrown.code ? thrown : herogiError("INTERNAL_ERROR", String(thrown), thrown);
    result = Promise.reject(error);
    const callback = args.find((arg) => typeof arg === "function");
    if (callback) {
      result.catch(() => {});
      try {
        callback(false, error);
      } catch (ignored) {
        // A throwing callback is the page's own bug; it must not break the SDK.
      }
    }
    return result;
  }
}

function call(name, args) {
  if (loaded || loadError) return run(name, args);
  load();
  const entry = [name, args];
  const promise = new Promise((resolve, reject) => entry.push(resolve, reject));
  if (name === "init" || hasCallback(args)) promise.catch(() => {});
  waiting.push(entry);
  return promise;
}

/**
 * Configures the SDK: `init(appId, appSecret, askLocation, options)` or
 * `init({ appId, appSecret, apiUrl }, { locationSubscribe })`.
 */
export function init(...args) {
  call("init", args);
}

/**
 * Sends the visitor's profile: `identify(externalId, userAttributes, customAttributes,
 * preferences, callback)`, or without the externalId. Returns a Promise of `{ hgid, dropped }`.
 */
export function identify(...args) {
  return call("identify", args);
}

/** Replays the calls that the inline snippet's stub queued before this script arrived. */
export function replay(queue) {
  for (const [name, args, resolve, reject, promise] of queue) {
    const method = name === "init" ? init : name === "identify" ? identify : null;
    if (!method) continue;
    const list = Array.prototype.slice.call(args);
    if (promise && hasCallback(list)) promise.catch(() => {});
    const result = method(...list);
    if (resolve && result) result.then(resolve, reject);
  }
}

if (typeof window !== "undefined") load();

export default { init, identify };
