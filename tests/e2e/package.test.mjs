// The npm package as users get it: `npm pack` of this repository, extracted into the
// node_modules of a temporary project. publint and @arethetypeswrong/cli check it, and esbuild
// and Vite bundle it into a small app that runs in Chromium against the real server.
// These tests need `npm run build` and `cargo build -p herogi-server` first.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import * as esbuild from "esbuild";
import { APP_ID, APP_SECRET, getProfile, launchBrowser, root, startServer } from "./harness.mjs";
import { watchConsole } from "./page-helpers.mjs";

const run = promisify(execFile);
const bin = (name) => join(root, "node_modules/.bin", name);

// npm runs offline here, because packing needs no registry and no update check may leave the
// machine.
const npmEnv = {
  ...process.env,
  npm_config_offline: "true",
  npm_config_update_notifier: "false",
  npm_config_audit: "false",
  npm_config_fund: "false",
};

/** The files the package must contain, and nothing else. */
const EXPECTED_FILES = [
  "LICENSE",
  "README.md",
  "dist/herogi.d.ts",
  "dist/herogi.min.js",
  "dist/herogi.min.js.sri",
  "dist/herogi.mjs",
  "dist/herogi.split.min.js",
  "dist/herogi.split.min.js.sri",
  "dist/herogi_bg.wasm",
  "package.json",
];

let work;
let project;

before(async () => {
  // A temporary project whose node_modules/herogi is the packed tarball, extracted.
  work = mkdtempSync(join(tmpdir(), "herogi-package-"));
  project = join(work, "project");
  const installed = join(project, "node_modules/herogi");
  mkdirSync(installed, { recursive: true });
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", work], { cwd: root, env: npmEnv });
  const [{ filename }] = JSON.parse(stdout);
  await run("tar", ["-xzf", join(work, filename), "-C", installed, "--strip-components=1"]);
  cpSync(join(root, "tests/package/app"), join(project, "app"), { recursive: true });
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Returns every file path that an exports map points to, at any depth of conditions. */
function exportTargets(value) {
  if (typeof value === "string") return [value];
  return Object.values(value).flatMap(exportTargets);
}

test("npm pack has exactly the expected files", async () => {
  const { stdout } = await run("npm", ["pack", "--dry-run", "--json"], { cwd: root, env: npmEnv });
  const [packed] = JSON.parse(stdout);
  const files = packed.files.map((file) => file.path).sort();
  assert.deepEqual(files, EXPECTED_FILES);

  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  for (const target of exportTargets(pkg.exports)) {
    assert.ok(files.includes(target.replace(/^\.\//, "")), `exports names ${target}, which is not packed`);
  }
});

test("packed integrity files match their scripts", () => {
  const installed = join(project, "node_modules/herogi/dist");
  for (const script of ["herogi.min.js", "herogi.split.min.js"]) {
    const digest = createHash("sha384").update(readFileSync(join(installed, script))).digest("base64");
    const recorded = readFileSync(join(installed, `${script}.sri`), "utf8");
    assert.equal(recorded, `sha384-${digest}\n`, `dist/${script}.sri in the package`);
  }
});

test("publint reports no problems", async () => {
  // --strict reports warnings as errors; publint exits non-zero on any error.
  let stdout;
  try {
    ({ stdout } = await run(bin("publint"), ["--strict", "--pack", "npm"], { cwd: root, env: npmEnv }));
  } catch (failure) {
    assert.fail(`publint reported problems:\n${failure.stdout}${failure.stderr}`);
  }
  assert.match(stdout, /All good/, stdout);
});

test("attw finds no wrong types", async () => {
  // The script-tag entries are classic scripts with no exports, and the split build's core is a
  // wasm file, so they have no module types to check. The package is ESM only, so a CommonJS
  // require() that resolves to ESM is expected. The README documents it, and Node 20.19+ and
  // 22.12+ load it through require(esm).
  const args = [
    "--pack",
    ".",
    "--format",
    "json",
    "--no-definitely-typed",
    "--exclude-entrypoints",
    "herogi.min.js",
    "herogi.split.min.js",
    "herogi_bg.wasm",
    "--ignore-rules",
    "cjs-resolves-to-esm",
  ];
  let stdout;
  try {
    ({ stdout } = await run(bin("attw"), args, { cwd: root, env: npmEnv }));
  } catch (failure) {
    assert.fail(`attw reported problems:\n${failure.stdout}${failure.stderr}`);
  }
  const { analysis } = JSON.parse(stdout);
  assert.deepEqual(Object.keys(analysis.entrypoints).sort(), [".", "./package.json"]);
  const problems = analysis.problems.map((problem) => `${problem.kind} ${problem.entrypoint} ${problem.resolutionKind}`);
  assert.deepEqual(problems, ["CJSResolvesToESM . node16-cjs"]);
});

/** Bundles `source` with esbuild from the temporary project; returns the output text. */
async function bundleSource(source) {
  const result = await esbuild.build({
    stdin: { contents: source, resolveDir: project, loader: "js" },
    bundle: true,
    format: "esm",
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

test("unused import is tree-shaken away", async () => {
  // sideEffects in package.json lets a bundler drop the ES module when nothing from it is used.
  const output = await bundleSource('import "herogi";\nimport herogi from "herogi";\n');
  assert.ok(output.length < 200, `the bundle kept ${output.length} bytes of an unused import`);
});

test("script entry is kept as a side effect", async () => {
  // The IIFE defines window.herogi when it runs, so a bare import of it must stay in the bundle.
  const output = await bundleSource('import "herogi/herogi.min.js";\n');
  const script = readFileSync(join(root, "dist/herogi.min.js"), "utf8");
  assert.ok(output.length > script.length / 2, `the bundle kept only ${output.length} bytes of the script`);
  assert.match(output, /HerogiError/);
});

test("split script entry is kept as a side effect", async () => {
  // The split build's script defines window.herogi when it runs too, and fetches its core from
  // beside itself, so the core must be packed where the script is.
  const output = await bundleSource('import "herogi/herogi.split.min.js";\n');
  const script = readFileSync(join(root, "dist/herogi.split.min.js"), "utf8");
  assert.ok(output.length > script.length / 2, `the bundle kept only ${output.length} bytes of the script`);
  assert.match(output, /herogi_bg\.wasm/);
  const packedCore = readFileSync(join(project, "node_modules/herogi/dist/herogi_bg.wasm"));
  assert.deepEqual(packedCore, readFileSync(join(root, "dist/herogi_bg.wasm")));
});

/** Builds the app with esbuild into `outDir`, next to a copy of its index.html. */
async function buildWithEsbuild(outDir) {
  await esbuild.build({
    entryPoints: [join(project, "app/main.js")],
    absWorkingDir: project,
    bundle: true,
    minify: true,
    format: "esm",
    target: "es2020",
    outfile: join(outDir, "main.js"),
    logLevel: "silent",
  });
  copyFileSync(join(project, "app/index.html"), join(outDir, "index.html"));
}

/** Builds the app with Vite into `outDir`. */
async function buildWithVite(outDir) {
  const { build } = await import("vite");
  await build({
    root: join(project, "app"),
    configFile: false,
    base: "./",
    logLevel: "silent",
    build: { outDir, emptyOutDir: true },
  });
}

/**
 * Serves a built app through herogi-server, opens it in Chromium and checks that loading the
 * bundle had no effect, then that the app identifies a visitor whose profile the server stored.
 */
async function checkApp(t, bundler, buildApp) {
  const served = join(work, `served-${bundler}`);
  const outDir = join(served, `${bundler}-app`);
  mkdirSync(outDir, { recursive: true });
  await buildApp(outDir);

  const server = await startServer(["--static", served]);
  t.after(() => server.stop());
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await browser.newPage();
  const messages = watchConsole(page);
  const apiRequests = [];
  page.on("request", (request) => {
    if (new URL(request.url()).pathname.startsWith("/v1/")) apiRequests.push(request.url());
  });

  await page.goto(`${server.url}/${bundler}-app/index.html`);
  await page.waitForFunction(() => window.app !== undefined);
  const atLoad = await page.evaluate(() => ({ storageKeys: Object.keys(localStorage), global: typeof window.herogi }));
  assert.deepEqual(atLoad.storageKeys, [], "loading the bundle wrote to localStorage");
  assert.equal(atLoad.global, "undefined", "loading the bundle defined window.herogi");
  assert.deepEqual(apiRequests, [], "loading the bundle sent requests");

  const externalId = `package-${bundler}-user`;
  const result = await page.evaluate((config) => window.app.run(config), {
    appId: APP_ID,
    appSecret: APP_SECRET,
    externalId,
  });
  assert.equal(typeof result.hgid, "string");
  assert.equal(result.stored, result.hgid);
  assert.deepEqual(result.dropped, []);
  assert.equal(result.version, JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version);
  assert.deepEqual(result.rejection, {
    code: "INVALID_ARGUMENT",
    isHerogiError: true,
    isInvalidArgumentError: true,
  });
  assert.deepEqual(messages.errors, []);

  const profile = await getProfile(server.url, result.hgid);
  assert.ok(profile, `the server has no profile ${result.hgid}`);
  assert.equal(profile.externalUserId, externalId);
  assert.equal(profile.firstname, "Npm");
  assert.equal(profile.gender, "FEMALE");
  assert.equal(profile.emailOptin, "OPTIN");
}

test("esbuild app identifies a visitor", async (t) => {
  await checkApp(t, "esbuild", buildWithEsbuild);
});

test("Vite app identifies a visitor", async (t) => {
  await checkApp(t, "vite", buildWithVite);
});
