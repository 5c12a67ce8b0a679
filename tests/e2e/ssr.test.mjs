// Server-side rendering: the package in plain Node, where there is no browser. Each check runs
// in a child process so that its globals are Node's own and any timer or handle the SDK left
// behind would keep that process from exiting.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import { root } from "./harness.mjs";

/**
 * Runs `source` as an ES module (or CommonJS) in a new Node process whose working directory is
 * the repository, so that "herogi" resolves through package.json's exports map. Returns the
 * exit code, the JSON the script printed last, stderr, and whether the process had to be
 * killed because it did not exit on its own.
 */
function runNode(source, { type = "module", timeoutMs = 10000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`--input-type=${type}`, "-e", source], { cwd: root });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      const last = stdout.trim().split("\n").pop();
      let report = null;
      try {
        report = JSON.parse(last);
      } catch {
        // Left null; the test then shows stdout and stderr.
      }
      // Node prints the source line of an uncaught error: for the minified module, the whole file.
      stderr = stderr.replace(/^.{400,}$/gm, (line) => line.slice(0, 200) + " ...");
      resolve({ code, report, stdout, stderr, killed });
    });
  });
}

// Set-up code shared by the child scripts. Before the import, every browser global becomes a
// getter that records its reads and returns undefined (or Node's own value, where Node has one),
// and a Proxy behind globalThis records each lookup of a name that Node does not define. The
// timers, fetch and WebAssembly compilation are counted.
const instrument = `
const browserGlobals = ["window", "document", "navigator", "localStorage", "sessionStorage",
  "self", "location", "indexedDB", "addEventListener", "requestAnimationFrame"];
const reads = [];
for (const name of browserGlobals) {
  const own = Object.getOwnPropertyDescriptor(globalThis, name);
  let value;
  if (own && own.get) value = own.get.call(globalThis);
  else if (own) value = own.value;
  Object.defineProperty(globalThis, name, {
    configurable: true,
    get() { reads.push(name); return value; },
  });
}
const unknownLookups = [];
const prototype = Object.getPrototypeOf(globalThis);
Object.setPrototypeOf(globalThis, new Proxy(prototype, {
  has(target, key) { if (!(key in target)) unknownLookups.push(String(key)); return key in target; },
}));
const counts = { setTimeout: 0, setInterval: 0, fetch: 0, wasmCompile: 0, console: 0 };
for (const name of ["setTimeout", "setInterval"]) {
  const original = globalThis[name];
  globalThis[name] = function (...args) { counts[name] += 1; return original.apply(this, args); };
}
const originalFetch = globalThis.fetch;
globalThis.fetch = function (...args) { counts.fetch += 1; return originalFetch.apply(this, args); };
const OriginalModule = WebAssembly.Module;
WebAssembly.Module = function (...args) { counts.wasmCompile += 1; return new OriginalModule(...args); };
for (const name of ["instantiate", "compile", "instantiateStreaming", "compileStreaming"]) {
  const original = WebAssembly[name];
  WebAssembly[name] = function (...args) { counts.wasmCompile += 1; return original.apply(this, args); };
}
for (const name of ["log", "info", "warn", "error", "debug"]) {
  console[name] = () => { counts.console += 1; };
}
const describe = (error) => error && {
  name: error.name,
  code: error.code,
  mentionsBrowser: /browser/.test(error.message),
  isEnvironmentError: error instanceof sdk.EnvironmentError,
  isHerogiError: error instanceof sdk.HerogiError,
};
`;

test("import touches no browser global", async () => {
  const source = `${instrument}
const sdk = await import("herogi");
process.stdout.write(JSON.stringify({
  reads, unknownLookups, counts, exports: Object.keys(sdk).sort(),
}) + "\\n");
`;
  const result = await runNode(source);
  assert.equal(result.code, 0, result.stderr);
  const { report } = result;
  assert.ok(report, `no report; stdout: ${result.stdout}`);
  assert.deepEqual(report.reads, [], "the import read browser globals");
  assert.deepEqual(report.unknownLookups, [], "the import looked up globals that Node lacks");
  assert.deepEqual(report.counts, { setTimeout: 0, setInterval: 0, fetch: 0, wasmCompile: 0, console: 0 });
  for (const name of ["default", "init", "identify", "reset", "getHgid", "ready", "version", "HerogiError"]) {
    assert.ok(report.exports.includes(name), `the module does not export ${name}`);
  }
});

test("calls settle with NOT_IN_BROWSER", async () => {
  const source = `${instrument}
const sdk = await import("herogi");
const herogi = sdk.default;
const callbacks = [];
const returned = {
  init: herogi.init("ssr-app", "ssr-secret", true, { apiUrl: "http://127.0.0.1:9", debug: true }),
  initObject: sdk.init({ appId: "ssr-app", appSecret: "ssr-secret" }, { locationSubscribe: true }),
  reset: sdk.reset(),
  getHgid: sdk.getHgid(),
};
const promises = {
  identify: sdk.identify("ssr-user", { email: "ann@example.com" }),
  identifyCallback: herogi.identify(null, { city: "Oslo" }, null, { smsOptin: true },
    (ok, error) => callbacks.push({ name: "identify", ok, error: describe(error) })),
  ready: sdk.ready(),
  readyCallback: herogi.ready((ok, error) => callbacks.push({ name: "ready", ok, error: describe(error) })),
};
const settled = {};
for (const [name, promise] of Object.entries(promises)) {
  const [outcome] = await Promise.allSettled([promise]);
  settled[name] = { status: outcome.status, error: describe(outcome.reason) };
}
process.stdout.write(JSON.stringify({
  returned, settled, callbacks, counts, unknownLookups, version: herogi.version,
}) + "\\n");
`;
  const result = await runNode(source);
  assert.equal(result.killed, false, "the process did not exit on its own: a timer or handle is left");
  assert.equal(result.code, 0, result.stderr);
  const { report } = result;
  assert.ok(report, `no report; stdout: ${result.stdout}`);
  assert.deepEqual(report.returned, { getHgid: null }, "init, reset or getHgid returned something");
  const expected = {
    name: "EnvironmentError",
    code: "NOT_IN_BROWSER",
    mentionsBrowser: true,
    isEnvironmentError: true,
    isHerogiError: true,
  };
  for (const name of ["identify", "identifyCallback", "ready", "readyCallback"]) {
    assert.deepEqual(report.settled[name], { status: "rejected", error: expected }, name);
  }
  const byName = (list) => [...list].sort((a, b) => a.name.localeCompare(b.name));
  assert.deepEqual(byName(report.callbacks), [
    { name: "identify", ok: false, error: expected },
    { name: "ready", ok: false, error: expected },
  ]);
  assert.deepEqual(report.counts, { setTimeout: 0, setInterval: 0, fetch: 0, wasmCompile: 0, console: 0 });
  assert.match(report.version, /^\d+\.\d+\.\d+/);
});

test("unhandled call does not crash Node", async () => {
  // A server render that calls identify or ready and drops the Promise must not end the
  // process: Node treats an unhandled rejection as a fatal error by default.
  const source = `
const herogi = (await import("herogi")).default;
herogi.identify("ssr-user", { city: "Oslo" });
herogi.ready();
await new Promise((resolve) => setTimeout(resolve, 50));
process.stdout.write(JSON.stringify({ survived: true }) + "\\n");
`;
  const result = await runNode(source);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(result.report, { survived: true });
  assert.doesNotMatch(result.stderr, /unhandled|NOT_IN_BROWSER/i);
});

test("require loads the ES module", async (t) => {
  // The package offers no CommonJS build: require() of it works through Node's require(esm),
  // unflagged since Node 20.19 and 22.12.
  if (process.features.require_module !== true) {
    t.skip(`Node ${process.version} has no require(esm)`);
    return;
  }
  const source = `
const sdk = require("herogi");
sdk.identify("ssr-user").then(
  () => process.stdout.write(JSON.stringify({ settled: "resolved" }) + "\\n"),
  (error) => process.stdout.write(JSON.stringify({
    settled: "rejected",
    code: error.code,
    isEnvironmentError: error instanceof sdk.EnvironmentError,
    sameDefault: sdk.default.identify === sdk.identify,
    esModule: sdk.__esModule,
  }) + "\\n"),
);
`;
  const result = await runNode(source, { type: "commonjs" });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(result.report, {
    settled: "rejected",
    code: "NOT_IN_BROWSER",
    isEnvironmentError: true,
    sameDefault: true,
    esModule: true,
  });
});
