// Identity storage: the visitor's hgid and the externalId it belongs to, the visitor generation
// that each `reset` starts, the identities kept for calls of earlier generations, and the
// location opt-out. They live in localStorage under namespaced keys, and in memory when storage
// is missing or throws. The `_hgid` cookie of the old script is adopted once.
//
// The core reads an identity as one text: the hgid, a line break and the owner (the externalId
// the hgid belongs to, empty for an anonymous visitor), or "" for no identity. Only an hgid that
// keeps the field rules is kept, so the first line break always ends it. This module is
// JavaScript because each of its steps is a storage call, which from wasm costs a boundary
// crossing and a string copy. As Rust it made the core 6.5 KB larger.

// Taken when the script runs, as js/builtins.js explains. The core imports this module, and
// wasm-bindgen copies it alone for the browser tests, so it cannot import js/builtins.js.
const toText = String;
const parseJson = JSON.parse;

const HGID_KEY = "herogi:hgid";
const OWNER_KEY = "herogi:externalUserId";
const LOCATION_OPTOUT_KEY = "herogi:locationOptout";
/** The visitor generation, a new random id at every reset; absent until the first one. */
const VISITOR_KEY = "herogi:visitor";
/**
 * Prefix of the identity that a reset keeps for each earlier visitor generation, followed by the
 * generation, while calls of that generation are queued.
 */
const ARCHIVE_PREFIX = "herogi:visitor:";
/** Set once the `_hgid` cookie has been adopted or a reset has forgotten it. */
const COOKIE_DONE_KEY = "herogi:cookieAdopted";
const OLD_COOKIE = "_hgid";

/**
 * White space that Rust's `str::trim` removes, which differs from JavaScript's `trim`: it
 * includes U+0085 and leaves U+FEFF. A stored hgid with it at either end breaks the field rules,
 * as one with a control character anywhere does.
 */
const SPACE = "[\\t-\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
const NOT_AN_HGID = new RegExp(`^${SPACE}|${SPACE}$|[\\0-\\x1f\\x7f-\\x9f]|^(undefined|null)$`, "i");
const EDGE_SPACES = new RegExp(`^${SPACE}+|${SPACE}+$`, "g");
/** Maximum length of an hgid, in characters (code points). */
const MAX_HGID_CHARS = 255;

/** The page's localStorage, or null where it has none or reading it throws. */
let local = null;
let debug = false;
let warned = false;
/** The identity text, as last read from storage or written by this page. */
let memory = "";
/** Whether the last write of the identity failed, so that memory has a newer one than storage. */
let memoryNewer = false;
let visitorGeneration = "";
/** Whether the last write of the visitor generation failed, so that memory has a newer one. */
let visitorNewer = false;
/** The identity texts of earlier generations, for when storage cannot hold them. */
let archives = new Map();
let optout = false;
/** Whether the last write of the location opt-out failed, so that memory has a newer one. */
let optoutNewer = false;

function log(...parts) {
  if (debug) {
    try {
      console.log("herogi: " + parts.join(""));
    } catch (ignored) {
      // A page whose console throws hears nothing.
    }
  }
}

function warnMemoryOnly() {
  if (warned) return;
  warned = true;
  try {
    console.warn("herogi: localStorage is unavailable or throws; the visitor's id is kept in memory for this page only");
  } catch (ignored) {
    // A page whose console throws hears nothing.
  }
}

/**
 * Returns whether `text` is an hgid that the field rules keep unchanged, so that a damaged value
 * in storage or the cookie cannot make every call fail. src/fields.rs has the rules; a browser
 * test of the core checks that both agree.
 */
export function validHgid(text) {
  return typeof text == "string" && text != "" && !NOT_AN_HGID.test(text) && [...text].length <= MAX_HGID_CHARS;
}

/**
 * Opens storage and loads the identity, adopting the old script's cookie when storage has never
 * had an hgid. Opening again starts from what storage holds, as a new page would.
 */
export function openStore(debugging) {
  debug = debugging;
  memory = "";
  memoryNewer = false;
  visitorGeneration = "";
  visitorNewer = false;
  archives = new Map();
  optout = false;
  optoutNewer = false;
  try {
    local = window.localStorage || null;
  } catch (ignored) {
    // Sandboxed frames and blocked cookies make the getter itself throw.
    local = null;
  }
  if (!local) warnMemoryOnly();
  if (!identity() && read(COOKIE_DONE_KEY) == null) {
    const hgid = oldCookieHgid();
    if (hgid) {
      log("adopted the hgid of the _hgid cookie: ", hgid);
      save(hgid + "\n");
      write(COOKIE_DONE_KEY, "1");
    }
  }
  locationOptout();
}

/** Reads a key of localStorage; null when it is absent or storage does not work. */
export function read(key) {
  if (!local) return null;
  try {
    const value = local.getItem(key);
    return value == null ? null : toText(value);
  } catch (ignored) {
    warnMemoryOnly();
    return null;
  }
}

/**
 * Writes or, for null and undefined, removes a key of localStorage. Returns whether it worked; a
 * full quota or storage that throws warns once and never reaches the page.
 */
export function write(key, value) {
  if (!local) return false;
  try {
    if (value == null) local.removeItem(key);
    else local.setItem(key, value);
    return true;
  } catch (ignored) {
    warnMemoryOnly();
    return false;
  }
}

/** Lists the keys of localStorage that start with `prefix`. */
export function keys(prefix) {
  const found = [];
  try {
    for (let index = 0; local && index < local.length; index++) {
      const key = local.key(index);
      if (key && key.startsWith(prefix)) found[found.length] = key;
    }
  } catch (ignored) {
    // Storage that throws has no keys for this page.
  }
  return found;
}

/**
 * Lists the keys of localStorage that start with `prefix`, one per line, so that a site with many
 * keys of its own costs the core one call, not one per key.
 */
export function storedKeys(prefix) {
  return keys(prefix).join("\n");
}

/** Splits an identity text into its hgid and owner, null for each that is absent. */
function parts(text) {
  const at = text.indexOf("\n");
  const hgid = at < 0 ? text : text.slice(0, at);
  const owner = at < 0 ? "" : text.slice(at + 1);
  return hgid ? [hgid, owner || null] : [null, null];
}

/**
 * Returns the identity text, read again from storage so that another tab's change, a reset
 * included, is seen. A stored hgid that breaks the field rules is dropped.
 */
function identity() {
  // A reset in another tab replaces an identity that only this tab's memory has. While this
  // tab's generation is not in storage, the stored identity is of an earlier one.
  visitor();
  if (local && !memoryNewer && !visitorNewer) {
    try {
      let stored = local.getItem(HGID_KEY);
      if (stored != null) stored = toText(stored);
      const hgid = validHgid(stored) ? stored : null;
      if (stored != null && !hgid) {
        log("dropped a stored hgid that is not valid");
        write(HGID_KEY, null);
        write(OWNER_KEY, null);
      }
      memory = hgid ? hgid + "\n" + (read(OWNER_KEY) || "") : "";
    } catch (ignored) {
      warnMemoryOnly();
    }
  }
  return memory;
}

/** Stores the identity text in memory and, when it works, in localStorage. */
function save(text) {
  memory = text;
  const split = parts(text);
  const hgid = split[0];
  const owner = split[1];
  // The owner is written first and the hgid only after it, so that a full quota cannot leave one
  // visitor's hgid beside another's externalId: it leaves the old pair, or the owner alone.
  const ownerWritten = write(OWNER_KEY, owner);
  const written = ownerWritten && write(HGID_KEY, hgid);
  if (ownerWritten && !written) write(HGID_KEY, null);
  // Storage that ignores writes without throwing counts as failing.
  memoryNewer = !!local && !(written && read(HGID_KEY) == hgid);
}

/**
 * Returns the identity text of the visitor generation `generation`: the current identity, or the
 * one a reset kept for the calls of an earlier generation still queued.
 */
export function identityOf(generation) {
  if (generation == visitor()) {
    const current = identity();
    // A reset in another tab may have started a new generation meanwhile and cleared the
    // identity. That reset keeps the old identity first, so it is read below.
    if (generation == visitor()) return current;
  }
  const archived = read(ARCHIVE_PREFIX + generation);
  if (archived != null) {
    const split = parts(archived);
    return validHgid(split[0]) ? split[0] + "\n" + (split[1] || "") : "";
  }
  return archives.get(generation) || "";
}

/**
 * Stores the identity of the visitor generation `generation`, after a response to one of its
 * calls. An hgid that breaks the field rules, as a faulty server's may, is not kept.
 */
export function saveIdentityOf(generation, hgid, owner) {
  const text = validHgid(hgid) ? hgid + "\n" + (owner || "") : "";
  if (generation == visitor()) save(text);
  else archive(generation, text);
}

/** Keeps the identity text of the earlier visitor generation `generation`, in storage and memory. */
function archive(generation, text) {
  write(ARCHIVE_PREFIX + generation, text);
  archives.set(generation, text);
}

/**
 * Forgets the kept identities of earlier generations that no queued call uses: `needed` is the
 * JSON array of the generations of the queued calls.
 */
export function pruneIdentities(needed) {
  const generations = parseJson(needed);
  // A loop rather than Array.prototype.includes, which a page may have replaced.
  const needs = (generation) => {
    for (let index = 0; index < generations.length; index++) {
      if (generations[index] === generation) return true;
    }
    return false;
  };
  for (const key of keys(ARCHIVE_PREFIX)) {
    if (!needs(key.slice(ARCHIVE_PREFIX.length))) write(key, null);
  }
  for (const generation of archives.keys()) {
    if (!needs(generation)) archives.delete(generation);
  }
}

/**
 * Returns the current visitor generation, read again from storage. When another tab has started a
 * new one, an identity that only this tab's memory has is dropped.
 */
export function visitor() {
  // A generation that storage could not take is written again, so that storage leads again
  // once it works.
  if (visitorNewer) visitorNewer = !write(VISITOR_KEY, visitorGeneration);
  if (local && !visitorNewer) {
    try {
      const stored = local.getItem(VISITOR_KEY);
      if (stored == null && visitorGeneration) {
        // A generation never goes back to none, so storage was cleared, as a site's logout may
        // do after a reset. The calls of the first generation must not take the identity back.
        visitorNewer = !write(VISITOR_KEY, visitorGeneration);
      } else if ((stored ?? "") != visitorGeneration) {
        visitorGeneration = toText(stored ?? "");
        if (memoryNewer) {
          memoryNewer = false;
          memory = "";
        }
      }
    } catch (ignored) {
      // The generation in memory stays.
    }
  }
  return visitorGeneration;
}

/**
 * Starts a new visitor generation, keeps the current identity for the calls still queued, and
 * clears the identity and the location opt-out. The old script's cookie is expired and never
 * adopted again.
 */
export function forgetVisitor(generation) {
  const oldGeneration = visitor();
  // The old identity is kept before the new generation is stored and the identity cleared, so
  // that another tab sending a call of the old generation finds it in one place or the other at
  // every moment.
  archive(oldGeneration, identity());
  visitorGeneration = generation;
  visitorNewer = !!local && !write(VISITOR_KEY, generation);
  save("");
  // On a full quota, removing the identity may have made room for the generation.
  if (visitorNewer) visitorNewer = !write(VISITOR_KEY, generation);
  setLocationOptout(false);
  write(COOKIE_DONE_KEY, "1");
  expireOldCookie();
}

/**
 * Returns whether the visitor's last locationOptin was OPTOUT, read again from storage so that
 * another tab's choice is seen.
 */
export function locationOptout() {
  // A choice that storage could not take is written again, and until then memory leads, so an
  // OPTOUT holds on a page whose storage is full.
  if (optoutNewer) optoutNewer = !write(LOCATION_OPTOUT_KEY, optout ? "1" : null);
  try {
    if (local && !optoutNewer) optout = local.getItem(LOCATION_OPTOUT_KEY) != null;
  } catch (ignored) {
    // The choice in memory stays.
  }
  return optout;
}

/** Remembers the visitor's latest locationOptin. */
export function setLocationOptout(value) {
  optout = value;
  optoutNewer = !!local && !write(LOCATION_OPTOUT_KEY, value ? "1" : null);
}

/**
 * Reads the hgid from the `_hgid` cookie that the old script set on the site's root domain. The
 * first valid one wins, because a page can also see an empty `_hgid` of a narrower path.
 */
function oldCookieHgid() {
  let cookies;
  try {
    cookies = toText(document.cookie);
  } catch (ignored) {
    // A sandboxed frame has no cookies.
    return null;
  }
  for (const pair of cookies.split(";")) {
    const at = pair.indexOf("=");
    if (at < 0 || trim(pair.slice(0, at)) != OLD_COOKIE) continue;
    const raw = trim(pair.slice(at + 1));
    let decoded = raw;
    try {
      decoded = decodeURIComponent(raw);
    } catch (ignored) {
      // A value that is not percent-encoded is read as it is.
    }
    const hgid = trim(decoded.replace(/^"+|"+$/g, ""));
    if (validHgid(hgid)) return hgid;
  }
  return null;
}

/** Removes the white space at both ends of `text` that Rust's `str::trim` removes. */
function trim(text) {
  return text.replace(EDGE_SPACES, "");
}

/** Sets a cookie; where that throws, the page keeps its cookies. */
function setCookie(text) {
  try {
    document.cookie = text;
  } catch (ignored) {
    // A sandboxed frame has no cookies to expire.
  }
}

/**
 * Expires the `_hgid` cookie on this host and on each parent domain, one of which is where the
 * old script set it.
 */
function expireOldCookie() {
  const expired = OLD_COOKIE + "=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/";
  setCookie(expired);
  let domain = toText(location.hostname);
  for (let dot = domain.indexOf("."); dot >= 0; dot = domain.indexOf(".")) {
    setCookie(expired + "; domain=" + domain);
    domain = domain.slice(dot + 1);
  }
}
