// The script-tag entry: defines `window.herogi` and runs the calls that the inline snippet's
// stub queued while this script was loading.
import * as sdk from "./index.js";

/** Replays the calls that the inline snippet's stub queued before this script arrived. */
function replay(queue) {
  const methods = { init: sdk.init, identify: sdk.identify, reset: sdk.reset, ready: sdk.ready };
  for (const [name, args, resolve, reject, promise] of queue) {
    const method = methods[name];
    if (!method) continue;
    const list = Array.prototype.slice.call(args);
    const hasCallback = list.some((arg) => typeof arg === "function");
    // The stub's Promise of a call with a callback, or of a call that returns nothing, is
    // marked handled: the page hears of a failure through the callback or not at all.
    // `then` rather than `catch`, which a page may have removed from Promise.prototype.
    if (promise && (name !== "identify" || hasCallback)) promise.then(undefined, () => {});
    const result = method(...list);
    if (resolve) Promise.resolve(result).then(resolve, reject);
  }
}

/**
 * Returns whether `value` is the SDK that a copy of this script installed, as opposed to a stub
 * with a `q` array of waiting calls (the inline snippet's, or the split build's, which also
 * carries the error classes) or nothing.
 */
function isInstalled(value) {
  return (
    Boolean(value) &&
    !Array.isArray(value.q) &&
    typeof value.identify === "function" &&
    typeof value.HerogiError === "function"
  );
}

// A second copy of the script, from two script tags or a tag injected again, keeps the SDK that
// the first copy installed, because a new one would lose its configuration. This copy's core
// never starts, since the core starts at the first call.
const existing = window.herogi;
if (!isInstalled(existing)) {
  window.herogi = {
    init: sdk.init,
    identify: sdk.identify,
    reset: sdk.reset,
    getHgid: sdk.getHgid,
    ready: sdk.ready,
    version: sdk.version,
    HerogiError: sdk.HerogiError,
    InvalidArgumentError: sdk.InvalidArgumentError,
    ConfigError: sdk.ConfigError,
    NetworkError: sdk.NetworkError,
    HttpError: sdk.HttpError,
    QueueFullError: sdk.QueueFullError,
    EnvironmentError: sdk.EnvironmentError,
  };
  if (existing && Array.isArray(existing.q)) {
    replay(existing.q);
    // A page that kept a reference to the stub reaches the SDK through it from now on, instead
    // of a queue that is never read again.
    try {
      Object.assign(existing, window.herogi);
    } catch (ignored) {
      // A frozen stub keeps its methods; window.herogi still works.
    }
  }
}
