// The SDK's public functions. They start the wasm core at the first call and hand each call's
// arguments to it as they came: argument shifting and every rule live in Rust. No function
// here throws into the page.
import { loadCore } from "./core.js";
import {
  coreAdopt,
  coreAnswer,
  coreFlush,
  coreGetHgid,
  coreHead,
  coreIdentify,
  coreIdle,
  coreInit,
  coreLocated,
  coreRequest,
  coreReset,
  coreSave,
  coreStart,
  coreVisible,
  initSync,
} from "../pkg/herogi.js";
import { EnvironmentError, HerogiError, makeError } from "./errors.js";
import { connect, settle } from "./io.js";
import { parseJson, toText } from "./builtins.js";
import { readArguments } from "./read.js";

export {
  ConfigError,
  EnvironmentError,
  HerogiError,
  HttpError,
  InvalidArgumentError,
  NetworkError,
  QueueFullError,
} from "./errors.js";

/** The SDK's version. */
export const version = __HEROGI_VERSION__;


let loading = false;
let loaded = false;
let loadError = null;
let configured = false;
const readyWaiters = [];
/**
 * Calls made while the core loads, in call order: `{ name, args, base, resolve, reject }`.
 * NOTE: nothing stores them, so those still waiting when the page goes away are lost. The core
 * takes a few milliseconds to start.
 */
const waiting = [];

/**
 * Returns whether the SDK runs in a page; under server-side rendering every call fails at once.
 * It is checked at each call, not at import, so that importing the module reads no browser
 * global.
 */
function inBrowser() {
  return typeof window !== "undefined" && typeof document !== "undefined";
}

/**
 * Returns the error of a call made outside a browser, as a rejected Promise that is already
 * marked handled. In Node an unhandled rejection ends the process, and a server render that
 * drops the Promise must not crash. Handlers the caller adds still receive the error.
 */
function failOutsideBrowser(args) {
  return markHandled(fail(args, new EnvironmentError("NOT_IN_BROWSER", "herogi runs only in a browser page")));
}

/**
 * Marks a Promise's rejection as handled and returns the Promise. It uses `then`, because a page
 * may have removed or replaced `Promise.prototype.catch`.
 */
function markHandled(promise) {
  promise.then(undefined, () => {});
  return promise;
}

/**
 * Starts loading the core, once. The core's bytes arrive asynchronously (inflated or fetched),
 * and the calls made meanwhile wait in `waiting`. Then the core is compiled and started, and
 * the calls run in the order they were made. From then on every call runs at once.
 */
function load() {
  if (loading) return;
  loading = true;
  // A throw of loadCore, or a value that is not a Promise from a page's wrapper of a browser
  // function, becomes a rejection or a module that fails to start, so the calls still settle.
  new Promise((resolve) => resolve(loadCore()))
    .then((module) => {
      initSync({ module });
      connect({ coreAdopt, coreAnswer, coreFlush, coreHead, coreIdle, coreLocated, coreRequest, coreSave, coreStart, coreVisible });
      loaded = true;
    })
    .then(undefined, (cause) => {
      loadError = loadFailure(cause);
      try {
        console.error("herogi: " + loadError.message, cause);
      } catch (ignored) {
        // A page whose console throws still gets the error through every call's Promise.
      }
    })
    .then(runWaiting, runWaiting);
}

/** Returns the LOAD_FAILED error for the reason the core did not start. */
function loadFailure(cause) {
  const reason = String((cause && cause.message) || cause);
  let message = "herogi could not load its WebAssembly core: " + reason;
  let blocked = false;
  try {
    blocked = cause instanceof WebAssembly.CompileError && /unsafe-eval|CSP|Content.Security/i.test(reason);
  } catch (ignored) {
    // The check cannot run without WebAssembly (named below) or with a CompileError a page replaced.
  }
  if (typeof WebAssembly !== "object") {
    message =
      "herogi could not load its WebAssembly core: this browser has no WebAssembly " +
      "(it may be turned off in the browser's settings)";
  } else if (blocked) {
    message =
      "herogi could not compile its WebAssembly core; under a Content-Security-Policy, " +
      "script-src needs 'wasm-unsafe-eval'";
  }
  return makeError("LOAD_FAILED", message, undefined, undefined, cause);
}

/** Runs the calls that waited for the core, or fails them with the reason it did not start. */
function runWaiting() {
  if (!loaded) {
    loadError = loadError || new EnvironmentError("LOAD_FAILED", "herogi could not load its WebAssembly core");
    readyWaiters.splice(0).forEach((waiter) => waiter[1](loadError));
  }
  const calls = waiting.splice(0);
  for (let index = 0; index < calls.length; index++) {
    const { name, args, base, resolve, reject } = calls[index];
    // One call that throws must not keep the calls after it from running.
    try {
      run(name, args, base).then(resolve, reject);
    } catch (thrown) {
      reject(thrown);
    }
  }
}

/** Rejects a call, telling its callback too, without an unhandled rejection when it has one. */
function fail(args, error) {
  const result = Promise.reject(error);
  const callback = args.find((arg) => typeof arg === "function");
  if (callback) {
    markHandled(result);
    try {
      callback(false, error);
    } catch (ignored) {
      // A throwing callback is the page's own bug; it must not break the SDK.
    }
  }
  return result;
}

/**
 * Runs a call on the loaded core; a failure of the core itself becomes a rejected Promise.
 * `base` is the document's base URL when the page made the call, against which `init` resolves
 * a relative apiUrl.
 */
function run(name, args, base) {
  if (loadError) return fail(args, loadError);
  try {
    if (name === "init") {
      const { text, numbers } = readArguments(args);
      configured = coreInit(text, numbers, base) || configured;
      if (configured) readyWaiters.splice(0).forEach((waiter) => waiter[0]());
      return Promise.resolve();
    }
    if (name === "reset") {
      coreReset();
      return Promise.resolve();
    }
    return identifyNow(args);
  } catch (thrown) {
    let reason = "an exception";
    try {
      reason = toText(thrown);
    } catch (ignored) {
      // An exception whose text cannot be read keeps the generic reason.
    }
    const error =
      thrown instanceof HerogiError ? thrown : makeError("INTERNAL_ERROR", reason, undefined, undefined, thrown);
    // init returns nothing to the page, so its failure is reported on the console.
    if (name === "init") {
      try {
        console.error("herogi: init failed: " + error.message, thrown);
      } catch (ignored) {
        // The console throws; ready() stays pending, as after any failed init.
      }
    }
    return fail(args, error);
  }
}

/**
 * Hands an identify call to the core with `[resolve, reject, callback, dropped]` to settle it.
 * Arguments that cannot be read as a call fail from a later microtask, so a callback never runs
 * inside the page's own call.
 */
function identifyNow(args) {
  let call;
  const promise = new Promise((resolve, reject) => {
    call = [resolve, reject, args.find((arg) => typeof arg === "function"), []];
  });
  // With a callback the page hears of a failure there, so the rejection is handled.
  if (call[2]) markHandled(promise);
  const { text, numbers, members } = readArguments(args);
  const result = coreIdentify(text, numbers, call);
  if (typeof result == "string") {
    // The call is queued now, so a failure to report what it left out must not fail it.
    try {
      reportDropped(parseJson(result), args, members, call[3]);
    } catch (ignored) {
      // The dropped values stay unlisted on a page whose built-ins throw.
    }
  } else if (result) {
    Promise.resolve().then(() => settle(call, false, result));
  }
  return promise;
}

/**
 * Lists the values the core dropped in `dropped` as `{ field, value, reason }`, with the page's
 * own values as the call read them, and warns once for the call. The first argument is the
 * core's report: the warning, then `[argument, entry, field, reason]` per value, with `entry`
 * the value's position among its object's entries, or -1 for the whole argument.
 */
function reportDropped(report, args, members, dropped) {
  for (let index = 1; index < report.length; index++) {
    // Indexes, not destructuring, which a page's replaced array iterator would change.
    const row = report[index];
    const value = row[1] < 0 ? args[row[0]] : (members[row[0]] || [])[row[1]];
    dropped[index - 1] = { field: row[2], value, reason: row[3] };
  }
  try {
    console.warn("herogi: " + report[0], dropped);
  } catch (ignored) {
    // A page whose console throws hears of the dropped values through the call's result.
  }
}

function call(name, args) {
  if (!inBrowser()) return failOutsideBrowser(args);
  load();
  const base = document.baseURI;
  if (loaded || loadError) return run(name, args, base);
  const promise = new Promise((resolve, reject) => (waiting[waiting.length] = { name, args, base, resolve, reject }));
  // A call with a callback reports a failure through it, as the core's own calls do.
  return args.some((arg) => typeof arg === "function") ? markHandled(promise) : promise;
}

/**
 * Configures the SDK: `init(appId, appSecret, askLocation, options)` or
 * `init({ appId, appSecret, apiUrl }, { locationSubscribe })`.
 */
export function init(...args) {
  markHandled(call("init", args));
}

/**
 * Sends the visitor's profile: `identify(externalId, userAttributes, customAttributes,
 * preferences, callback)`, or without the externalId. Returns a Promise of `{ hgid, dropped }`.
 */
export function identify(...args) {
  return call("identify", args);
}

/**
 * Forgets the visitor, for a logout on a shared computer: the next call starts a new visitor
 * with a new hgid. Calls made before it are still sent, for the old visitor.
 */
export function reset() {
  markHandled(call("reset", []));
}

/** Returns the visitor's hgid, or null before the SDK is ready or has one. */
export function getHgid() {
  try {
    return loaded ? coreGetHgid() ?? null : null;
  } catch (ignored) {
    return null;
  }
}

/** Returns a Promise that resolves once the core is loaded and `init` has succeeded. */
export function ready(callback) {
  if (!inBrowser()) return failOutsideBrowser([callback]);
  load();
  const promise = new Promise((resolve, reject) => {
    if (loadError) reject(loadError);
    else if (loaded && configured) resolve();
    else readyWaiters[readyWaiters.length] = [resolve, reject];
  });
  if (typeof callback === "function") {
    // An exception from the page's callback is reported, as identify does, and never becomes
    // an unhandled rejection.
    const call = (...args) => {
      try {
        callback(...args);
      } catch (thrown) {
        try {
          console.warn("herogi: the ready callback threw:", thrown);
        } catch (ignored) {
          // A page whose console throws hears nothing more.
        }
      }
    };
    promise.then(() => call(true), (error) => call(false, error));
  }
  return promise;
}

export default { init, identify, reset, getHgid, ready, version };
