// The built-ins that the shim and the reader use, taken when the script runs, so that a page that later
// replaces one with a wrapper that throws or misbehaves cannot change how calls are read, stored
// or sent. For the same reason, the SDK's arrays grow by index rather than with
// Array.prototype.push, and its own records are objects, whose destructuring uses no iterator.
//
// NOTE: a page that replaced these before the script ran hands the SDK its replacements, and a
// setter it defines on an index of Array.prototype can hide the `value` of a dropped entry.

export const toText = String;
export const parseJson = JSON.parse;
export const { isArray } = Array;
export const { keys: ownKeys, getPrototypeOf, defineProperty } = Object;
export const { apply } = Reflect;
export const isWellFormed = String.prototype.isWellFormed;
export const regexTest = RegExp.prototype.test;
export const regexExec = RegExp.prototype.exec;
