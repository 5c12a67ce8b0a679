// The split build's stand-in for the inlined core. js/build.mjs resolves two imports of
// js/index.js to this module: the deflated core and fflate. index.js starts the core at its first
// call with initSync({ module: inflateSync(deflatedCore) }), so here inflateSync returns the
// module that js/split.js compiled from herogi_bg.wasm, or throws the error that kept it from
// loading.

let compiled;
let failure = new Error("herogi's WebAssembly core was used before it was loaded");

/** Hands over the compiled core. */
export function provideCore(module) {
  compiled = module;
  failure = undefined;
}

/** Records why the core could not be fetched or compiled; every call then fails with it. */
export function failCore(error) {
  failure = error;
}

/** Returns the compiled core, in place of fflate's inflateSync; throws when it failed to load. */
export function inflateSync() {
  if (failure) throw failure;
  return compiled;
}

// In place of the deflated bytes, which the split build does not carry.
export default undefined;
