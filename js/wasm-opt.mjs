// The wasm-opt binary and flags of the build, shared with bench/floor.mjs so that both optimize
// alike.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The wasm-opt of the binaryen npm package. Debian's wasm-opt miscompiles wasm-bindgen's
 * externref table.
 */
export const wasmOpt = join(dirname(fileURLToPath(import.meta.url)), "../node_modules/.bin/wasm-opt");

/**
 * The optimization passes. `-Oz --converge` repeats -Oz until the module stops shrinking.
 * Flattening and re-looping the control flow first, and numbering the most-called functions
 * first after it, made the core 889 bytes smaller (143 gzip) than -Oz alone, with binaryen 132.
 */
export const wasmPasses = ["--flatten", "--rereloop", "-Oz", "--converge", "--reorder-functions"];

/** The features that rustc's wasm32 output uses, which wasm-opt must enable. */
export const wasmFeatures = [
  "--enable-bulk-memory",
  "--enable-sign-ext",
  "--enable-nontrapping-float-to-int",
  "--enable-reference-types",
  "--enable-multivalue",
  "--enable-mutable-globals",
];
