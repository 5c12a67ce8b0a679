// Splits herogi.min.js's navigation-to-ready time into its phases, to show where the time goes:
// when the page's first script runs, when the SDK's script has arrived and has run, and how long
// init and the start of the core take. Each visit is a first visit in a new browser context.
//
// Usage: npm run build and cargo build --release -p herogi-server, then node bench/phases.mjs
// [--runs N] [--profile]. With --profile it also records one visit with the V8 CPU profiler
// (sampling every 50 µs) and prints the functions with the most self time. No test asserts these
// timings.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

// The release server, as bench/run.mjs uses: the debug build serves the 75 KB script slowly
// enough to distort the phases. The harness reads HEROGI_SERVER_BIN when it is loaded.
const repository = join(fileURLToPath(import.meta.url), "../..");
process.env.HEROGI_SERVER_BIN ||= join(repository, "target/release/herogi-server");
const { APP_ID, APP_SECRET, launchBrowser, root, startServer } = await import("../tests/e2e/harness.mjs");

const { values: options } = parseArgs({
  options: { runs: { type: "string", default: "15" }, profile: { type: "boolean", default: false } },
});
const runs = Number(options.runs);
if (!Number.isInteger(runs) || runs < 1 || runs > 200) {
  throw new Error(`--runs must be an integer from 1 to 200, got ${options.runs}`);
}

// The page marks the moments around the script tag and the init call, as a site's page would
// make them: a blocking tag in <head>, then init in an inline script.
const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script>window.marks = { firstScript: performance.now() };</script>
<script src="/herogi.min.js"></script>
<script>
  marks.scriptRan = performance.now();
  herogi.init(${JSON.stringify(APP_ID)}, ${JSON.stringify(APP_SECRET)}, false, { apiUrl: location.origin });
  marks.initReturned = performance.now();
  herogi.ready().then(() => {
    marks.ready = performance.now();
    const script = performance.getEntriesByType("resource").find((entry) => entry.name.endsWith("/herogi.min.js"));
    marks.scriptRequested = script.requestStart;
    marks.scriptArrived = script.responseEnd;
    marks.htmlArrived = performance.getEntriesByType("navigation")[0].responseEnd;
  });
</script>
</head><body><p>herogi phases</p></body></html>
`;
const pages = mkdtempSync(join(tmpdir(), "herogi-phases-"));
writeFileSync(join(pages, "phases.html"), page);
copyFileSync(join(root, "dist/herogi.min.js"), join(pages, "herogi.min.js"));

const server = await startServer(["--static", pages]);
const browser = await launchBrowser();
try {
  const visits = [];
  for (let run = -1; run < runs; run += 1) {
    const context = await browser.newContext();
    const tab = await context.newPage();
    await tab.goto(`${server.url}/phases.html`);
    await tab.waitForFunction(() => window.marks?.ready !== undefined);
    // The first visit warms the OS file cache and Chromium's processes, and is not counted.
    if (run >= 0) visits.push(await tab.evaluate(() => window.marks));
    await context.close();
  }

  const phases = [
    ["HTML arrived", (m) => m.htmlArrived],
    ["first inline script ran", (m) => m.firstScript],
    ["herogi.min.js requested", (m) => m.scriptRequested],
    ["herogi.min.js arrived", (m) => m.scriptArrived],
    ["herogi.min.js ran", (m) => m.scriptRan],
    ["init returned", (m) => m.initReturned],
    ["ready", (m) => m.ready],
    ["script arrived to script ran", (m) => m.scriptRan - m.scriptArrived],
    ["init returned to ready (core started, init applied)", (m) => m.ready - m.initReturned],
  ];
  const median = (numbers) => numbers.sort((a, b) => a - b)[numbers.length >> 1];
  console.log(`${runs} visits, milliseconds since navigation start, median (min to max):\n`);
  console.log("| moment or interval | ms |\n|---|---|");
  for (const [name, read] of phases) {
    const times = visits.map(read);
    const low = Math.min(...times).toFixed(1);
    const high = Math.max(...times).toFixed(1);
    console.log(`| ${name} | ${median(times).toFixed(1)} (${low} to ${high}) |`);
  }

  if (options.profile) await profileOneVisit(browser, server.url);
} finally {
  await browser.close();
  await server.stop();
  rmSync(pages, { recursive: true, force: true });
}

/** Records one visit with the CPU profiler and prints the 15 functions with the most self time. */
async function profileOneVisit(browser, serverUrl) {
  const context = await browser.newContext();
  const tab = await context.newPage();
  const cdp = await context.newCDPSession(tab);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 50 });
  await cdp.send("Profiler.start");
  await tab.goto(`${serverUrl}/phases.html`);
  await tab.waitForFunction(() => window.marks?.ready !== undefined);
  const { profile } = await cdp.send("Profiler.stop");
  await context.close();

  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfTime = new Map();
  profile.samples.forEach((id, index) => {
    const { functionName, url } = nodes.get(id).callFrame;
    const name = `${functionName || "(anonymous)"} ${url.split("/").pop()}`;
    selfTime.set(name, (selfTime.get(name) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000);
  });
  console.log("\nSelf time of one profiled visit (ms; idle and program are the browser's own):\n");
  const top = [...selfTime].sort((a, b) => b[1] - a[1]).slice(0, 15);
  for (const [name, ms] of top) console.log(`${ms.toFixed(1).padStart(7)}  ${name}`);
}
