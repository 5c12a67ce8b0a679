// Builds the SDK's rules alone as a wasm module (bench/floor: the modules of src/ with none of
// the browser glue of src/web/ and no wasm-bindgen), optimizes it as js/build.mjs optimizes the
// core, and prints its size beside the shipped core's. The difference is what the browser glue
// costs. The rules alone are a floor for the core as long as they stay in Rust.
//
// Usage: npm run build, then node bench/floor.mjs.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { wasmFeatures, wasmOpt, wasmPasses } from "../js/wasm-opt.mjs";
import { root } from "../tests/e2e/harness.mjs";

const targetDir = join(root, "target/floor");
const built = join(targetDir, "wasm32-unknown-unknown/release/herogi_floor.wasm");
const optimized = join(targetDir, "herogi_floor.opt.wasm");
const shipped = join(root, "dist/herogi_bg.wasm");
if (!existsSync(shipped)) throw new Error(`${shipped} is missing: run \`npm run build\` first`);

execFileSync(
  "cargo",
  ["build", "--quiet", "--release", "--target", "wasm32-unknown-unknown", "--manifest-path", join(root, "bench/floor/Cargo.toml")],
  { stdio: "inherit", env: { ...process.env, CARGO_TARGET_DIR: targetDir } },
);
const strip = ["--strip-debug", "--strip-producers", "--strip-target-features"];
execFileSync(wasmOpt, [...wasmPasses, ...strip, ...wasmFeatures, built, "-o", optimized], {
  stdio: "inherit",
});

function sizes(path) {
  const bytes = readFileSync(path);
  const brotli = brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } });
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, brotli: brotli.length };
}

const rows = [
  ["rules alone (bench/floor)", sizes(optimized)],
  ["shipped core (dist/herogi_bg.wasm)", sizes(shipped)],
];
console.log("| module | raw | gzip -9 | brotli q11 |\n|---|---|---|---|");
for (const [name, size] of rows) {
  console.log(`| ${name} | ${size.raw} | ${size.gzip} | ${size.brotli} |`);
}
