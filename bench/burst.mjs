// Shows where the synchronous part of a burst of identify calls goes. It builds js/global.js
// without minifying (with the core of the last `npm run build`, so function names stay
// readable), loads it in a page served by the release herogi-server, and after `ready` records
// one burst per visit with the V8 CPU profiler. It prints each visit's time, their median, and
// the functions with the most self time over all visits. The profiler adds its own cost, so
// compare these numbers with each other, and quote bench/run.mjs for the burst itself.
//
// Usage: npm run build and cargo build --release -p herogi-server, then node bench/burst.mjs
// [--runs N] [--calls N]. No test asserts these timings.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import * as esbuild from "esbuild";

const repository = join(fileURLToPath(import.meta.url), "../..");
process.env.HEROGI_SERVER_BIN ||= join(repository, "target/release/herogi-server");
const { APP_ID, APP_SECRET, launchBrowser, startServer } = await import("../tests/e2e/harness.mjs");

const { values: options } = parseArgs({
  options: { runs: { type: "string", default: "5" }, calls: { type: "string", default: "1000" } },
});
const runs = Number(options.runs);
const calls = Number(options.calls);
if (!Number.isInteger(runs) || runs < 1 || runs > 50) throw new Error(`--runs must be 1 to 50, got ${options.runs}`);
if (!Number.isInteger(calls) || calls < 1 || calls > 10000) {
  throw new Error(`--calls must be 1 to 10000, got ${options.calls}`);
}

const pages = mkdtempSync(join(tmpdir(), "herogi-burst-"));
// The same resolution of the core's JavaScript imports as js/build.mjs, without minifying.
await esbuild.build({
  entryPoints: [join(repository, "js/global.js")],
  bundle: true,
  format: "iife",
  target: "es2020",
  outfile: join(pages, "herogi.js"),
  loader: { ".deflate": "base64" },
  define: { "import.meta.url": '""', __HEROGI_VERSION__: '"burst"' },
  logLevel: "warning",
  plugins: [
    {
      name: "one-module-each",
      setup(build) {
        build.onResolve({ filter: /snippets\/.*\/js\/(errors|io|store)\.js$/ }, (args) => ({
          path: join(repository, "js", args.path.replace(/.*\//, "")),
        }));
      },
    },
  ],
});
writeFileSync(
  join(pages, "burst.html"),
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script src="/herogi.js"></script>
<script>herogi.init(${JSON.stringify(APP_ID)}, ${JSON.stringify(APP_SECRET)}, false, { apiUrl: location.origin });</script>
</head><body><p>herogi burst</p></body></html>`,
);

const server = await startServer(["--static", pages]);
const browser = await launchBrowser();
const selfTime = new Map();
const times = [];
try {
  for (let run = 0; run < runs; run += 1) {
    const context = await browser.newContext();
    const tab = await context.newPage();
    await tab.goto(`${server.url}/burst.html`);
    await tab.evaluate(() => herogi.ready());
    // The set-up that init leaves until the page is idle runs before the burst.
    await tab.evaluate(() => new Promise((resolve) => setTimeout(resolve, 1500)));
    const cdp = await context.newCDPSession(tab);
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: 50 });
    await cdp.send("Profiler.start");
    // The calls of bench/run.mjs: one visitor, the score counting up.
    const ms = await tab.evaluate((count) => {
      const started = performance.now();
      window.burst = [];
      for (let score = 1; score <= count; score++) {
        burst.push(herogi.identify("burst-user", { firstname: "Ann", city: "Oslo" }, { plan: "pro", score }));
      }
      return performance.now() - started;
    }, calls);
    const { profile } = await cdp.send("Profiler.stop");
    times.push(ms);
    console.log(`run ${run + 1}/${runs}: ${calls} calls, synchronous part ${ms.toFixed(1)} ms`);

    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    profile.samples.forEach((id, index) => {
      const { functionName, url } = nodes.get(id).callFrame;
      const name = `${functionName || "(anonymous)"} ${url.split("/").pop()}`;
      selfTime.set(name, (selfTime.get(name) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000);
    });
    await context.close();
  }
} finally {
  await browser.close();
  await server.stop();
  rmSync(pages, { recursive: true, force: true });
}

const sorted = [...times].sort((a, b) => a - b);
console.log(`\nmedian ${sorted[sorted.length >> 1].toFixed(1)} ms (${sorted[0].toFixed(1)} to ${sorted.at(-1).toFixed(1)})`);
console.log(`\nSelf time over all runs (ms; wasm functions by index, program and idle are the browser's):\n`);
for (const [name, ms] of [...selfTime].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
  console.log(`${ms.toFixed(1).padStart(7)}  ${name}`);
}
