// Builds dist/ from a clean tree: the wasm core (cargo, wasm-bindgen, wasm-opt), then
// dist/herogi.min.js (IIFE for script tags, wasm inlined) and dist/herogi.mjs (ES module for
// npm users, wasm inlined), with their TypeScript declarations, and the split build:
// dist/herogi.split.min.js (IIFE for script tags) and the core it fetches, dist/herogi_bg.wasm.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import zopfli from "@gfx/zopfli";
import * as esbuild from "esbuild";
import { wasmFeatures, wasmOpt, wasmPasses } from "./wasm-opt.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = join(root, "pkg");
const dist = join(root, "dist");
const wasm = join(root, "target/wasm32-unknown-unknown/release/herogi.wasm");

function run(command, args) {
  execFileSync(command, args, { cwd: root, stdio: "inherit" });
}

/** Returns the Subresource Integrity value (sha384) of a file. */
function integrityOf(path) {
  return "sha384-" + createHash("sha384").update(readFileSync(path)).digest("base64");
}

// The wasm core, optimized with the wasm-opt, the passes and the feature flags of js/wasm-opt.mjs.
// The two sections stripped after it, the producers list and the target features, are custom
// sections, which do not change how a browser runs it.
run("cargo", ["build", "--quiet", "--lib", "--release", "--target", "wasm32-unknown-unknown"]);
rmSync(pkg, { recursive: true, force: true });
run("wasm-bindgen", ["--target", "web", "--no-typescript", "--out-dir", pkg, wasm]);
const optimized = join(pkg, "herogi_bg.wasm");
run(wasmOpt, [
  ...wasmPasses,
  "--strip-producers",
  "--strip-target-features",
  ...wasmFeatures,
  optimized,
  "-o",
  optimized,
]);
shortenWasmNames(join(pkg, "herogi.js"));

/**
 * Gives the core's imports and exports short names, in the module and in wasm-bindgen's glue.
 * wasm-bindgen names each import after its JS function plus a 16-digit hash, so both files carry
 * about 130 long names. wasm-opt renames every import, import module and export, and prints the
 * old and new names as JSON, which this function applies to the glue. The build fails when a
 * name is not where the glue is expected to use it, so a change in wasm-bindgen's output cannot
 * go unnoticed.
 */
function shortenWasmNames(gluePath) {
  const output = execFileSync(
    wasmOpt,
    [...wasmFeatures, "--minify-imports-and-exports-and-modules", optimized, "-o", optimized],
    { cwd: root, encoding: "utf8" },
  );
  const { imports, exports } = JSON.parse(output);
  let glue = readFileSync(gluePath, "utf8");
  const fail = (message) => {
    throw new Error(`${gluePath}: ${message}, so the build cannot shorten the core's wasm names`);
  };

  // An import of a JavaScript function that takes and returns nothing to convert comes straight
  // from its snippet module: the glue passes that module's namespace as `importN`, under a key
  // that names the module. Such imports move into the main imports object, `import0`, since the
  // core will import everything from one module.
  const main = "./herogi_bg.js";
  const direct = imports.filter(([module]) => module !== main);
  const mainObject = /(const import0 = \{\s*__proto__: null,)/;
  if (direct.length && !mainObject.test(glue)) fail("it has no import0 object");
  for (const [module, name, renamed] of direct) {
    const entry = new RegExp(`\\s*${JSON.stringify(module).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: (import\\d+),`);
    const namespace = glue.match(entry)?.[1];
    if (!namespace) fail(`the module ${module} is not a key of the imports`);
    glue = glue.replace(mainObject, `$1\n        ${renamed}: ${namespace}.${name},`);
  }
  glue = glue.replace(/\n\s*"\.\/snippets\/[^"]*": import\d+,/g, "");

  // Each other import is one key of the glue's imports object, which is itself the value of a
  // key that names the import module.
  for (const [, name, renamed] of imports.filter(([module]) => module === main)) {
    const key = new RegExp(`\\b${name.replace(/[$]/g, "\\$&")}(?=:)`, "g");
    const count = glue.match(key)?.length ?? 0;
    if (count !== 1) fail(`the import ${name} is a key ${count} times, expected once`);
    glue = glue.replace(key, renamed);
  }
  const module = new WebAssembly.Module(readFileSync(optimized));
  const modules = [...new Set(WebAssembly.Module.imports(module).map((entry) => entry.module))];
  const moduleKey = /"\.\/herogi_bg\.js"(?=:)/g;
  if (modules.length !== 1) fail(`the core imports from ${modules.length} modules, expected one`);
  if (glue.match(moduleKey)?.length !== 1) fail('"./herogi_bg.js" is not one key of the imports');
  glue = glue.replace(moduleKey, JSON.stringify(modules[0]));

  // The glue reads every export as `wasm.<name>`; it does not read a few of them.
  const exportNames = new Map(exports);
  glue = glue.replace(/\bwasm\.([\w$]+)/g, (read, name) => {
    if (!exportNames.has(name)) fail(`it reads wasm.${name}, which the core does not export`);
    return `wasm.${exportNames.get(name)}`;
  });
  writeFileSync(gluePath, glue);
}

// The scripts inline the core deflated in zlib's format, as base64 text (esbuild's base64 loader),
// so each is one file, and js/core.js inflates it with the browser's DecompressionStream.
// Zopfli writes that format about 6% smaller than zlib's level 9 (46,937 against 49,953 bytes
// for this core), for 3 s of build time at 15 iterations.
const deflatedCore = await zopfli.zlibAsync(readFileSync(optimized), { numiterations: 15 });
writeFileSync(`${optimized}.deflate`, deflatedCore);
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist);
// wasm-bindgen copies js/errors.js, js/io.js and js/store.js into pkg/snippets/ for the core's
// imports. Resolving those copies to the files in js/ keeps one instance of each module. So there
// is one set of error classes for `instanceof`, and js/io.js calls the core that js/index.js
// connects. The send loop and the core also share one js/store.js with its identity in memory.
const oneErrorModule = {
  name: "one-error-module",
  setup(build) {
    build.onResolve({ filter: /snippets\/.*\/js\/(errors|io|store)\.js$/ }, (args) => ({
      path: join(root, "js", args.path.replace(/.*\//, "")),
    }));
  },
};

const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const common = {
  bundle: true,
  minify: true,
  target: "es2020",
  loader: { ".deflate": "base64" },
  // wasm-bindgen's loader mentions import.meta.url only for a path it is never given here.
  define: { "import.meta.url": '""', __HEROGI_VERSION__: JSON.stringify(version) },
  logLevel: "warning",
  plugins: [oneErrorModule],
  legalComments: "none",
};
await esbuild.build({
  ...common,
  entryPoints: [join(root, "js/global.js")],
  outfile: join(dist, "herogi.min.js"),
  format: "iife",
});
await esbuild.build({
  ...common,
  entryPoints: [join(root, "js/index.js")],
  outfile: join(dist, "herogi.mjs"),
  format: "esm",
});
copyFileSync(join(root, "js/herogi.d.ts"), join(dist, "herogi.d.ts"));

// The split build: dist/herogi.split.min.js, the script-tag entry without the inlined core. Its
// import of js/core.js resolves to js/split-core.js, which fetches the same core from
// dist/herogi_bg.wasm.
const wasmFile = join(dist, "herogi_bg.wasm");
copyFileSync(optimized, wasmFile);
const coreFromFile = {
  name: "core-from-file",
  setup(build) {
    build.onResolve({ filter: /\/core\.js$/ }, () => ({ path: join(root, "js/split-core.js") }));
  },
};
await esbuild.build({
  ...common,
  entryPoints: [join(root, "js/global.js")],
  outfile: join(dist, "herogi.split.min.js"),
  format: "iife",
  define: { ...common.define, __HEROGI_WASM_INTEGRITY__: JSON.stringify(integrityOf(wasmFile)) },
  plugins: [oneErrorModule, coreFromFile],
});

for (const file of ["herogi.min.js", "herogi.mjs", "herogi.split.min.js", "herogi_bg.wasm"]) {
  const bytes = readFileSync(join(dist, file));
  const kib = (n) => (n / 1024).toFixed(1);
  console.log(`dist/${file}: ${kib(bytes.length)} KiB, ${kib(gzipSync(bytes, { level: 9 }).length)} KiB gzip`);
}

// Subresource Integrity of the script-tag builds, written beside each. The one of herogi.min.js
// is also written into README.md's two script tags of herogi.min.js that carry an sha384
// integrity attribute: the blocking tag, and the `async` tag after the stub. So the documented
// value is always that of the last build. The build fails unless README.md has exactly one line
// of each.
const integrity = integrityOf(join(dist, "herogi.min.js"));
writeFileSync(join(dist, "herogi.min.js.sri"), integrity + "\n");
writeFileSync(join(dist, "herogi.split.min.js.sri"), integrityOf(join(dist, "herogi.split.min.js")) + "\n");
const readmePath = join(root, "README.md");
const readme = readFileSync(readmePath, "utf8");
const integrityLine = /^(<script (async )?src="[^"]*\/herogi\.min\.js" integrity=")sha384-[A-Za-z0-9+/]*={0,2}(" crossorigin="anonymous"><\/script>)$/gm;
const tags = [...readme.matchAll(integrityLine)];
const asyncTags = tags.filter((tag) => tag[2] !== undefined).length;
const blockingTags = tags.length - asyncTags;
if (blockingTags !== 1 || asyncTags !== 1) {
  throw new Error(
    `README.md must have exactly one line <script src=".../herogi.min.js" integrity="sha384-..." ` +
      `crossorigin="anonymous"></script> and one such line with <script async for the build to ` +
      `update; found ${blockingTags} and ${asyncTags}`,
  );
}
const updated = readme.replace(integrityLine, `$1${integrity}$3`);
if (updated !== readme) writeFileSync(readmePath, updated);
console.log(`dist/herogi.min.js integrity: ${integrity} (dist/herogi.min.js.sri, README.md)`);
