// The core's waiting and I/O: the send loop with its waits (the send lock, backoff, the
// position), the identify request over fetch, the tabs' locks and heartbeats, the page's events
// and the settling of calls. The core decides what is sent, in what order, and what each response
// means; this module waits and carries the bytes. Async code is far smaller as JavaScript than
// as wasm, where each `await` becomes a state machine and each callback a closure shim. It also
// hands the core the page's location and random bytes, which as web-sys bindings cost the wasm
// more than these few lines. js/store.js reads and writes localStorage and cookies.
//
// The core imports this module; js/index.js hands it the core's exports with `connect` once the
// core has started.

import { keys, read, write } from "./store.js";

// Taken when the script runs, as js/builtins.js explains. The core imports this module, and
// wasm-bindgen copies it alone for the browser tests, so it cannot import js/builtins.js.
const toText = String;
const parseJson = JSON.parse;
const { floor, min } = Math;

let core;
let url;
let authorization;
let tab;
let debug;
let sending = false;
/** The resolve function of the current backoff, which the browser's `online` event calls. */
let wake;
/** A Promise that settles when the browser responds to the position request. */
let located;

const SEND_LOCK = "herogi:send";
/** Prefix of each tab's lock name (Web Locks) or heartbeat key (lease), followed by its id. */
const TAB_PREFIX = "herogi:tab:";
const LEASE_KEY = "herogi:lease";
/** How long a lease or a heartbeat lasts without renewal, in milliseconds. */
const LEASE_MS = 10000;
/** How often a lease or a heartbeat is renewed, in milliseconds. */
const RENEW_MS = LEASE_MS / 3;
/**
 * How long a request may take, headers and body, before it counts as a network failure and is
 * sent again later with the same request id.
 */
const TIMEOUT_MS = 15000;
/**
 * How long a tab waits for another tab's older call before it takes the lock again, in
 * milliseconds: longer than a lease poll, so that a tab without Web Locks gets its turn.
 */
const YIELD_MS = 300;
/** The age, in milliseconds, that another tab's call must reach before this tab may take it over. */
const FRESH_MS = 2000;

// Results of coreHead and coreAnswer other than a delay in milliseconds.
const EMPTY = -1;
const YIELD = -2;
const DONE = -1;
const AGAIN = -2;

// The outcomes of a request that has no HTTP status, as coreAnswer takes them.
const NETWORK = 0;
const TIMED_OUT = -1;
const NOT_A_RESPONSE = -2;

/** Gives this module the core's exports. */
export function connect(exports) {
  core = exports;
}

function log(...parts) {
  if (debug) {
    try {
      console.log("herogi: " + parts.join(""));
    } catch (ignored) {
      // A page whose console throws hears nothing.
    }
  }
}

/**
 * Starts the page's side of delivery after a valid init: `target` is the identify endpoint,
 * `secret` the Authorization header's value and `id` this tab's id.
 */
export function start(target, secret, id, debugging) {
  url = target;
  authorization = secret;
  tab = id;
  debug = debugging;
  announce();
  addEventListener("online", () => {
    log("back online; sending the queue");
    if (wake) wake(true);
    send();
  });
  // A hidden page may never come back, so what is queued goes with keepalive.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState == "hidden") core.coreFlush();
    else core.coreVisible();
  });
  addEventListener("pagehide", () => {
    core.coreFlush();
    retire();
  });
}

/**
 * Lets the core finish the set-up of a valid init (storage, the position request, delivery) when
 * the page is idle, so that the page's load does not wait for it. A call made before then runs
 * it first, and a second run does nothing. The timeout bounds the wait on a page that is never
 * idle, and the timer on a page whose requestIdleCallback never calls back.
 */
export function startSoon() {
  const start = () => {
    try {
      core.coreStart();
    } catch (thrown) {
      // Called from a timer, an exception would reach the page as an uncaught error.
      try {
        console.error("herogi: init failed: ", thrown);
      } catch (ignored) {
        // A page whose console throws hears nothing.
      }
    }
  };
  setTimeout(start, 1000);
  try {
    requestIdleCallback(start, { timeout: 500 });
  } catch (ignored) {
    setTimeout(start, 0);
  }
}

/** Returns navigator.language, or undefined where it is not a string or its getter throws. */
export function language() {
  try {
    const tag = navigator.language;
    return typeof tag == "string" ? tag : undefined;
  } catch (ignored) {
    return undefined;
  }
}

/** Runs the core's storage write when the current task ends. */
export function later() {
  Promise.resolve().then(() => core.coreSave());
}

/**
 * Tells the page a call's outcome, the callback first: `call` is `[resolve, reject, callback,
 * dropped]`, `value` the hgid when `ok`, the error otherwise. It does so from a microtask, so
 * that a callback never runs inside a call of the page's, as when the queue drops an older call
 * to take a new one.
 */
export function settle(call, ok, value) {
  Promise.resolve().then(() => settleNow(call, ok, value));
}

function settleNow(call, ok, value) {
  // Indexes rather than destructuring, which uses the array iterator that a page may replace.
  const resolve = call[0];
  const reject = call[1];
  const callback = call[2];
  const dropped = call[3];
  if (!ok) value.dropped = dropped;
  if (callback) {
    try {
      callback(ok, value);
    } catch (thrown) {
      try {
        console.warn("herogi: the identify callback threw: ", thrown);
      } catch (ignored) {
        // A page whose console throws hears nothing.
      }
    }
  }
  if (ok) resolve({ hgid: value, dropped });
  else reject(value);
}

/** Returns a part of the page's location, such as "origin" or "hostname", as text. */
export function locationPart(part) {
  return toText(location[part]);
}

/** Fills `bytes` from crypto.getRandomValues. Returns false where the browser has none. */
export function randomBytes(bytes) {
  try {
    crypto.getRandomValues(bytes);
    return true;
  } catch (ignored) {
    return false;
  }
}

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits `ms` milliseconds, or less when the browser is back online. Returns whether it was woken. */
function sleep(ms) {
  return new Promise((resolve) => {
    wake = resolve;
    setTimeout(resolve, ms);
  }).then((woken) => {
    wake = undefined;
    return woken;
  });
}

// Tabs of one site share localStorage, so they share the queue: the functions below tell which
// tabs are alive and give one tab at a time the right to send. They use the Web Locks API where
// the browser has it, and a lease in storage where it does not.

function locks() {
  try {
    return navigator.locks;
  } catch (ignored) {
    return undefined;
  }
}

/** Writes `"<tab> <expiry in ms>"`. */
function expiry() {
  return tab + " " + floor(Date.now() + LEASE_MS);
}

/**
 * Reads `"<tab> <expiry in ms>"` as `[tab, expiry]`. An expiry further ahead than a fresh lease
 * would be cannot come from a live tab (a wrong clock or a damaged value) and reads as expired.
 */
function parseLease(text) {
  const space = text ? text.indexOf(" ") : -1;
  const digits = space < 0 ? "x" : text.slice(space + 1);
  if (!/^\d*$/.test(digits)) return undefined;
  const expires = +digits;
  return [text.slice(0, space), expires > Date.now() + LEASE_MS ? 0 : expires];
}

/** Returns the tab that holds an unexpired lease. */
function leaseHolder() {
  const lease = parseLease(read(LEASE_KEY));
  return lease && lease[1] > Date.now() ? lease[0] : undefined;
}

/**
 * Marks this tab alive for the page's life: a lock held until the page goes away or, without
 * Web Locks, a heartbeat in storage renewed every third of its lifetime.
 */
function announce() {
  const manager = locks();
  if (manager) {
    try {
      // The callback's Promise never settles, so the lock is held until the page closes.
      manager.request(TAB_PREFIX + tab, () => new Promise(() => {})).then(undefined, () => {});
    } catch (ignored) {
      // A browser that refuses the lock leaves this tab looking gone; its calls are fresh meanwhile.
    }
    return;
  }
  const beat = () => write(TAB_PREFIX + tab, expiry());
  beat();
  setInterval(beat, RENEW_MS);
}

/**
 * Removes the heartbeat and the lease of a page that goes away, so other tabs take over its
 * calls at once. A page that comes back from the back-forward cache writes it again at its next
 * beat.
 */
function retire() {
  write(TAB_PREFIX + tab, null);
  if (leaseHolder() == tab) write(LEASE_KEY, null);
}

/** Lists the ids of the tabs that are alive. */
async function alive() {
  const manager = locks();
  if (manager) {
    try {
      const { held } = await manager.query();
      return held
        .map((lock) => toText(lock.name))
        .filter((name) => name.startsWith(TAB_PREFIX))
        .map((name) => name.slice(TAB_PREFIX.length));
    } catch (ignored) {
      return [];
    }
  }
  const now = Date.now();
  const tabs = [];
  for (const key of keys(TAB_PREFIX)) {
    const lease = parseLease(read(key));
    if (lease && lease[1] > now) tabs[tabs.length] = lease[0];
    else write(key, null);
  }
  return tabs;
}

/**
 * Waits until this tab may send, and returns the lock as `{ renew, release }`. The lock is a Web
 * Lock, or a lease in storage that a timer renews while it is held, so that a request slower
 * than the lease's lifetime keeps it. When storage does not work it is nothing, because then no
 * other tab shares this queue.
 */
async function acquire() {
  const manager = locks();
  if (manager) {
    let release;
    const released = new Promise((resolve) => (release = resolve));
    // Opaque origins (sandboxed frames) have navigator.locks but reject every request; the lease
    // below takes over then.
    const granted = await new Promise((resolve) => {
      manager.request(SEND_LOCK, () => (resolve(true), released)).then(undefined, () => resolve(false));
    }).then(undefined, () => false);
    if (granted) return { renew() {}, release };
  }
  const renew = () => write(LEASE_KEY, expiry());
  if (await takeLease()) {
    const timer = setInterval(renew, RENEW_MS);
    return {
      renew,
      release() {
        clearInterval(timer);
        if (leaseHolder() == tab) write(LEASE_KEY, null);
      },
    };
  }
  return { renew() {}, release() {} };
}

/**
 * Takes the lease: waits while another tab holds an unexpired one, writes ours, and checks a
 * moment later that no other tab wrote over it. Returns false when storage cannot be written,
 * or ignores writes (a consent tool's stub).
 */
async function takeLease() {
  for (;;) {
    const holder = leaseHolder();
    if (holder && holder != tab) {
      await delay(200);
      continue;
    }
    if (!write(LEASE_KEY, expiry()) || !leaseHolder()) return false;
    await delay(30);
    if (leaseHolder() == tab) return true;
  }
}

/** Starts the send loop unless it runs. */
export function send() {
  if (sending) return;
  sending = true;
  sendLoop().then(undefined, (thrown) => {
    sending = false;
    try {
      console.error("herogi: delivery stopped: ", thrown);
    } catch (ignored) {
      // A page whose console throws hears nothing.
    }
  });
}

/**
 * Sends until the queue is empty: takes the send lock, adopts the calls of pages that went away,
 * and sends one call at a time. After a failure that may pass it waits with the lock held, so
 * that no other tab's later call goes out first. When another tab has an older call, it
 * releases the lock for a moment so that call goes first.
 */
async function sendLoop() {
  for (;;) {
    const lock = await acquire();
    let others;
    let pause;
    // An exception must not keep the lock, which would stop every tab of the site from sending.
    try {
      for (;;) {
        others = await adopt();
        pause = await sendEntries(lock);
        if (pause < 0) break;
        log("waiting before the next attempt");
        await hold(lock, pause);
      }
    } finally {
      lock.release();
    }
    if (pause == YIELD) {
      log("another tab has an older call; letting it go first");
      await delay(YIELD_MS);
      continue;
    }
    const idle = core.coreIdle();
    if (idle >= 0) {
      sending = false;
      // Calls of a tab that seems alive are looked at again later: a tab that closed without
      // Web Locks looks alive until its heartbeat expires, and a new tab's calls are fresh. The
      // loop stops meanwhile, so this tab's new calls start it at once. Calls that storage
      // failed to remove are removed again then.
      if (idle || others) setTimeout(send, FRESH_MS);
      return;
    }
  }
}

/**
 * Has the core take over the stored calls of tabs that are no longer alive. The list of live
 * tabs is requested only when storage contains calls of other tabs. Returns whether storage
 * contains calls of other tabs that are alive.
 */
async function adopt() {
  const found = core.coreAdopt();
  return found > 1 ? core.coreAdopt((await alive()).join(" ")) : found;
}

/**
 * Sends the queue in order while this tab holds the lock. Returns EMPTY, YIELD when another tab
 * has an older call, or the delay before the head is sent again after a failure that may pass.
 */
async function sendEntries(lock) {
  for (;;) {
    const next = core.coreHead();
    if (next < 0) return next;
    lock.renew();
    // A pending position is waited for until the deadline the core gives.
    if (next > 0) await new Promise((resolve) => {
      setTimeout(resolve, next - Date.now());
      located.then(resolve);
    });
    let answer;
    do answer = await exchange();
    while (answer == AGAIN);
    if (answer != DONE) return answer;
  }
}

/**
 * Waits `ms` milliseconds with the lock held, renewing it, or less when the browser is back
 * online. The wait is counted in timer steps rather than read from the clock, which a page may
 * have stopped or turned back.
 */
async function hold(lock, ms) {
  for (let left = ms; left > 0; left -= RENEW_MS) {
    lock.renew();
    if (await sleep(min(left, RENEW_MS))) return;
  }
}

/**
 * Starts an identify request. The SDK sends no cookies, and without credentials a 401 never
 * makes the browser ask the visitor for a password. The page's fetch is looked up at each call.
 */
function post(id, body, keepalive) {
  const init = {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: authorization, "X-Request-Id": id },
    body,
    credentials: "omit",
    keepalive,
  };
  try {
    // fetch rejects a signal that is not the browser's own, as a page's polyfill may return.
    const signal = AbortSignal.timeout(TIMEOUT_MS);
    if (Object.prototype.toString.call(signal) == "[object AbortSignal]") init.signal = signal;
  } catch (ignored) {
    // Without AbortSignal.timeout the deadline in `exchange` still applies.
  }
  return fetch(url, init);
}

/** Sends a request with keepalive as the page goes away, without waiting for its response. */
export function postNow(id, body, keepalive) {
  try {
    Promise.resolve(post(id, body, keepalive)).then(undefined, () => {});
  } catch (ignored) {
    // The call stays queued for a later page.
  }
}

/**
 * Sends the head of the queue once, as the core writes it, and hands the response to the core:
 * the status, the hgid or the server's message, and Retry-After. Returns what coreAnswer does.
 */
async function exchange() {
  const request = core.coreRequest();
  const id = request[0];
  const body = request[1];
  const keepalive = request[2];
  log("POST ", url, " ", id, " ", body);
  let status = NETWORK;
  let value;
  let retryAfter;

  // The deadline applies even where the browser cannot abort the request. It resolves with
  // undefined, as a fetch wrapper's odd result may too; both count as no response.
  let timer;
  const deadline = new Promise((resolve) => (timer = setTimeout(resolve, TIMEOUT_MS)));
  const race = (promise) =>
    new Promise((resolve, reject) => {
      deadline.then(resolve);
      Promise.resolve(promise).then(resolve, reject);
    });

  try {
    const response = await race(new Promise((resolve) => resolve(post(id, body, keepalive))));
    // A response is not checked with instanceof, because a page may replace window.Response
    // after the SDK has started.
    if (response === undefined) status = TIMED_OUT;
    else if (typeof response.status == "number") status = response.status;
    else status = NOT_A_RESPONSE;

    if (status > 0) {
      let text = "";
      try {
        text = response.text();
      } catch (ignored) {
        // A response without a readable body is read as an empty one.
      }
      text = await race(text);
      if (text === undefined) status = TIMED_OUT;
      let json;
      try {
        json = parseJson(text);
      } catch (ignored) {
        // A body that is not JSON has neither an hgid nor a message.
      }
      value = json && json[status < 300 ? "hgid" : "message"];
      try {
        retryAfter = response.headers.get("Retry-After");
      } catch (ignored) {
        // Without Retry-After the backoff applies.
      }
    }
  } catch (cause) {
    status = NETWORK;
    value = cause && cause.message;
  }

  clearTimeout(timer);
  return core.coreAnswer(status, typeof value == "string" ? value : undefined, retryAfter || undefined);
}

/**
 * Asks the browser for the visitor's position; the core learns it from coreLocated. Returns
 * false when the browser has no Geolocation API or refuses the request.
 */
export function askLocation() {
  try {
    const geolocation = navigator.geolocation;
    if (!geolocation) return false;
    let answered;
    located = new Promise((resolve) => (answered = resolve));
    const answer = (latitude, longitude) => {
      core.coreLocated(latitude, longitude, toText(latitude), toText(longitude));
      answered();
    };
    // A position or an error whose getters throw reads as no position.
    const read = (object, key) => {
      try {
        return object[key];
      } catch (ignored) {
        return undefined;
      }
    };
    const number = (value) => (typeof value == "number" ? value : NaN);
    geolocation.getCurrentPosition(
      (position) => {
        const coords = read(position, "coords") || {};
        answer(number(read(coords, "latitude")), number(read(coords, "longitude")));
      },
      (error) => {
        if (debug) log("no position (", read(error, "message"), "); location is left out");
        answer(NaN, NaN);
      },
      { maximumAge: 600000, timeout: 30000 },
    );
    return true;
  } catch (ignored) {
    return false;
  }
}
