// Reads a call's arguments into the text that the core parses (src/read.rs), in one pass
// over the page's values. Each object is read once, so the page's later changes do not change the
// call, and each getter runs once. Reading here rather than from the wasm saves a boundary
// crossing per value, key and string.
//
// The text is a sequence of values, each a tag and its parts:
//   u undefined, n null, t true, f false, F a function
//   s<length>:<text>  a string, its length in UTF-16 code units
//   d<length>:<text>  a number as String(n) writes it; its value is the next item of `numbers`
//   r<length>:<text>  a property or item whose read threw, with the thrown message
//   a<count>:<items>  an array
//   o<count>:<entries>  a plain object, each entry a key (<length>:<text>) and a value
//   x<kind>  a value that JSON cannot hold, with one letter for its kind (the constants below)

import {
  apply,
  defineProperty,
  getPrototypeOf,
  isArray,
  isWellFormed,
  ownKeys,
  regexExec,
  regexTest,
  toText,
} from "./builtins.js";

/** The maximum number of values in one call; src/value.rs names the same bound MAX_VALUES. */
const MAX_VALUES = 65536;
/** The deepest nesting of objects and arrays that is read. */
const MAX_DEPTH = 32;

// The letters of the `x` values, which src/read.rs turns into the kind's name.
const BIGINT = "xb";
const SYMBOL = "xy";
const CYCLE = "xc";
const TOO_DEEP = "xd";
const OTHER_OBJECT = "xO";
const THROWING_PROXY = "xP";
const UNPAIRED_SURROGATE = "xS";
const UNPAIRED_SURROGATE_KEY = "xK";
const TOO_MANY_VALUES = "xT";


/**
 * A UTF-16 surrogate without its pair, which UTF-8 text cannot hold. The search takes its own
 * `exec`, because RegExp.prototype.test calls the `exec` it finds on the expression.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(^|[^\ud800-\udbff])[\udc00-\udfff]/;
defineProperty(LONE_SURROGATE, "exec", { value: regexExec });

/** Returns whether `text` has no unpaired surrogate, with isWellFormed where the browser has it. */
function whole(text) {
  return isWellFormed ? apply(isWellFormed, text, []) : !apply(regexTest, LONE_SURROGATE, [text]);
}

/**
 * Returns the kind of an object: 9 an array, 10 a plain object, 11 another object and 12 an
 * object whose Proxy traps throw. A plain object's prototype is null or an Object.prototype, of
 * this realm or another (an iframe's): the one prototype whose own prototype is null.
 */
function objectKind(value) {
  try {
    if (isArray(value)) return 9;
    const prototype = getPrototypeOf(value);
    return prototype === null || getPrototypeOf(prototype) === null ? 10 : 11;
  } catch (ignored) {
    return 12;
  }
}

/** Writes a text as `<length>:<text>`. */
function part(text) {
  return text.length + ":" + text;
}

/** Returns the value of a property or item whose read threw `error`, with its message. */
function unreadable(error) {
  let message = error;
  try {
    if (typeof message != "string") message = error.message;
  } catch (ignored) {
    // Reading the message ran a getter that threw too.
  }
  return "r" + part(typeof message == "string" ? message : "");
}

/**
 * Reads a call's arguments. Returns `{ text, numbers, members }`: the text and the numbers that
 * the core parses, and the values of each plain-object argument in the order of its entries. A
 * dropped value is reported from `members`, because reading it again would run its getter again.
 */
export function readArguments(args) {
  const numbers = [];
  const members = [];
  const ancestors = [];
  let remaining = MAX_VALUES;
  let argument = 0;

  const read = (value) => {
    if (remaining == 0) return TOO_MANY_VALUES;
    remaining--;

    if (value === undefined) return "u";
    if (value === null) return "n";
    switch (typeof value) {
      case "boolean":
        return value ? "t" : "f";
      case "number":
        numbers[numbers.length] = value;
        return "d" + part(toText(value));
      case "string":
        return whole(value) ? "s" + part(value) : UNPAIRED_SURROGATE;
      case "function":
        return "F";
      case "bigint":
        return BIGINT;
      case "symbol":
        return SYMBOL;
    }

    const found = objectKind(value);
    for (let index = 0; index < ancestors.length; index++) {
      if (ancestors[index] === value) return CYCLE;
    }
    if (ancestors.length >= MAX_DEPTH) return TOO_DEEP;
    ancestors[ancestors.length] = value;
    let text = found == 11 ? OTHER_OBJECT : THROWING_PROXY;
    if (found == 9) text = items(value);
    if (found == 10) text = entries(value);
    ancestors.length--;
    return text;
  };

  // An array's length is checked against the values left to read, because a sparse array's
  // length can be 2^32 - 1 with no item stored. A length that is not a number reads as 0.
  const items = (array) => {
    let length = 0;
    try {
      length = array.length;
    } catch (ignored) {
      // A Proxy whose get trap throws has no items.
    }
    if (typeof length != "number" || !(length > 0)) length = 0;
    if (length > remaining) return TOO_MANY_VALUES;
    const count = length - (length % 1);
    let text = "a" + count + ":";
    for (let index = 0; index < count; index++) {
      let item;
      try {
        item = array[index];
      } catch (error) {
        text += unreadable(error);
        continue;
      }
      text += read(item);
    }
    return text;
  };

  // Own enumerable string keys; keys such as __proto__ stay data.
  const entries = (object) => {
    let keys;
    try {
      keys = ownKeys(object);
    } catch (ignored) {
      return THROWING_PROXY;
    }
    if (keys.length > remaining) return TOO_MANY_VALUES;
    // The argument itself is the only ancestor of its own members.
    const values = ancestors.length == 1 ? (members[argument] = []) : [];
    let text = "o" + keys.length + ":";
    for (let index = 0; index < keys.length; index++) {
      const key = keys[index];
      text += part(key);
      values[index] = undefined;
      if (!whole(key)) {
        text += UNPAIRED_SURROGATE_KEY;
        continue;
      }
      let item;
      try {
        item = object[key];
      } catch (error) {
        text += unreadable(error);
        continue;
      }
      values[index] = item;
      text += read(item);
    }
    return text;
  };

  let text = "";
  for (; argument < args.length; argument++) text += read(args[argument]);
  return { text, numbers, members };
}
