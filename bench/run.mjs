// Browser benchmark of herogi.min.js against a plain-fetch page, and optionally against the split
// build (--split) and other identify SDKs (--peers). It starts the release herogi-server on
// 127.0.0.1 and headless Chromium, visits each page in turn for several runs, prints
// min/median/max per metric and writes bench/results/latest.json. It builds nothing:
// `npm run bench` (scripts/bench.sh) builds the script and the server, then runs it.
// bench/README.md describes each metric.
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  accessSync,
  constants as fileAccess,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { measureVisit } from "./measure.mjs";
import { formatTables, summarizeVisits } from "./report.mjs";
import { coreVariants } from "./variants.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const MAX_RUNS = 50;
const MAX_CALLS = 10_000;

const USAGE = `Usage: node bench/run.mjs [--runs N] [--calls N] [--split] [--blank-script] [--peers]
                         [--same-origin] [--out FILE]

Measures herogi.min.js against a plain-fetch page in headless Chromium, against the release
herogi-server on 127.0.0.1. Build first: npm run build && cargo build --release -p herogi-server
(npm run bench builds both, then runs this script with the options given after --).

  --runs N         visits of each page, interleaved (default 7, at most ${MAX_RUNS})
  --calls N        identify calls in the burst of each visit (default 1000, at most ${MAX_CALLS})
  --split          also measure the split build: herogi.split.min.js, which fetches herogi_bg.wasm
  --blank-script   also measure the plain-fetch page behind a script that does nothing, of
                   herogi.min.js's size: what loading any script of that size costs
  --peers          also measure the peer SDKs installed by bench/peers/install.sh
  --same-origin    serve the pages from the API's origin, so no request needs a CORS preflight
  --out FILE       write the results to FILE (default bench/results/latest.json)
  --help           print this help`;

/** Parses the command line, and exits with the usage text when it is invalid. */
function parseOptions() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        runs: { type: "string", default: "7" },
        calls: { type: "string", default: "1000" },
        split: { type: "boolean", default: false },
        "blank-script": { type: "boolean", default: false },
        peers: { type: "boolean", default: false },
        "same-origin": { type: "boolean", default: false },
        out: { type: "string", default: join(root, "bench/results/latest.json") },
        help: { type: "boolean", default: false },
      },
    }));
  } catch (error) {
    console.error(`${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const runs = wholeNumber("--runs", values.runs, MAX_RUNS);
  const calls = wholeNumber("--calls", values.calls, MAX_CALLS);
  return {
    runs,
    calls,
    split: values.split,
    blankScript: values["blank-script"],
    peers: values.peers,
    sameOrigin: values["same-origin"],
    out: resolve(values.out),
  };
}

/** Returns `text` as a number from 1 to `max` written in decimal digits, or exits with a message. */
function wholeNumber(option, text, max) {
  const number = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!(number >= 1 && number <= max)) {
    console.error(`invalid ${option} "${text}": expected a whole number from 1 to ${max}`);
    process.exit(2);
  }
  return number;
}

/**
 * Exits unless `path` can be written: a file, or nothing yet in a folder that exists or can be
 * made. It is checked before the run, so that a bad --out does not lose the results at the end.
 */
function requireWritable(path) {
  const folder = dirname(path);
  let problem = null;
  try {
    mkdirSync(folder, { recursive: true });
    accessSync(folder, fileAccess.W_OK);
  } catch {
    problem = `the folder ${folder} cannot be made or written`;
  }
  if (!problem && existsSync(path) && !statSync(path).isFile()) problem = "it is a folder, not a file";
  if (problem) {
    console.error(`invalid --out ${path}: ${problem}`);
    process.exit(2);
  }
}

/** Exits with a message naming the missing file and the command that makes it. */
function requireFile(path, hint) {
  if (!existsSync(path)) {
    console.error(`missing ${path}: ${hint}`);
    process.exit(1);
  }
}

/**
 * Returns the raw, gzip (level 9) and brotli (quality 11) sizes of the files, added up, with
 * their SHA-256. Relative paths are read from the repository's folder, and `names` are the
 * paths reported in the results.
 */
function measureSize(files, names = files) {
  let raw = 0;
  let gzip = 0;
  let brotli = 0;
  const sha256 = [];
  for (const file of files) {
    const bytes = readFileSync(resolve(root, file));
    sha256.push(createHash("sha256").update(bytes).digest("hex"));
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
    brotli += brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  }
  return { files: names, sha256, rawBytes: raw, gzipBytes: gzip, brotliBytes: brotli, gzipKiB: gzip / 1024 };
}

/**
 * Copies the split build into `buildDir`, with a page for it: bench-herogi.html with the split
 * script in place of herogi.min.js, so the two pages differ in nothing else.
 */
function writeSplitPage(buildDir) {
  for (const file of ["herogi.split.min.js", "herogi_bg.wasm"]) {
    copyFileSync(join(root, "dist", file), join(buildDir, file));
  }
  const page = readFileSync(join(root, "bench/pages/bench-herogi.html"), "utf8");
  const inlineScript = '<script src="/bench-build/herogi.min.js"></script>';
  if (!page.includes(inlineScript)) {
    throw new Error(`bench/pages/bench-herogi.html has no ${inlineScript} to replace with the split build`);
  }
  const splitScript = '<script src="/bench-build/herogi.split.min.js"></script>';
  writeFileSync(join(buildDir, "bench-herogi-split.html"), page.replace(inlineScript, splitScript));
}

/**
 * Writes into `buildDir` a script that does nothing, of `size` bytes (a string of random base64
 * text, as the inlined core is), and a page for it: bench-plain.html with that script in a
 * blocking tag before its own. The page's ready time then shows what loading and parsing a
 * script of herogi.min.js's size costs, without the SDK's work.
 */
function writeBlankPage(buildDir, size) {
  const prefix = 'void "';
  const suffix = '";\n';
  const text = randomBytes(size).toString("base64").slice(0, size - prefix.length - suffix.length);
  writeFileSync(join(buildDir, "blank.js"), prefix + text + suffix);
  const page = readFileSync(join(root, "bench/pages/bench-plain.html"), "utf8");
  const firstScript = "<script>";
  if (!page.includes(firstScript)) {
    throw new Error(`bench/pages/bench-plain.html has no ${firstScript} tag to put the blank script before`);
  }
  const blankScript = '<script src="/bench-build/blank.js"></script>\n';
  writeFileSync(join(buildDir, "bench-plain-blank.html"), page.replace(firstScript, blankScript + firstScript));
}

/** Returns the variant of the plain-fetch page behind the blank script, from `plain`. */
function blankVariant(plain, snapshotDir) {
  return {
    ...plain,
    name: "plain fetch + blank script",
    scriptFiles: [join(snapshotDir, "bench-build/blank.js")],
    scriptNames: ["blank.js"],
    page: plain.page.replace("/bench-plain.html", "/bench-build/bench-plain-blank.html"),
  };
}

/** Returns the variant of the split build's page, measured as herogi's is, from `herogi`. */
function splitVariant(herogi, snapshotDir) {
  const files = ["herogi.split.min.js", "herogi_bg.wasm"];
  return {
    ...herogi,
    name: "herogi split",
    scriptFiles: files.map((file) => join(snapshotDir, "bench-build", file)),
    scriptNames: files.map((file) => `dist/${file}`),
    page: herogi.page.replace("/bench-herogi.html", "/bench-build/bench-herogi-split.html"),
  };
}

/** Returns the 1, 5 and 15 minute load averages, rounded to two decimals. */
function loadAverage() {
  return os.loadavg().map((load) => Number(load.toFixed(2)));
}

function describeMachine(browserVersion, loadAtStart) {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const model = cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1] ?? "unknown";
  return {
    cores: os.cpus().length,
    cpuModel: model,
    memoryGiB: Number((os.totalmem() / 1024 ** 3).toFixed(1)),
    kernel: `${os.type()} ${os.release()}`,
    chromium: browserVersion,
    node: process.version,
    loadAverageAtStart: loadAtStart,
    loadAverageAtEnd: loadAverage(),
  };
}

function describeBuild() {
  const git = (...args) => execFileSync("git", args, { cwd: root, encoding: "utf8" }).trim();
  try {
    return { commit: git("rev-parse", "HEAD"), dirty: git("status", "--porcelain").length > 0 };
  } catch {
    return { commit: null, dirty: null };
  }
}

/** Returns the /admin endpoints of herogi-server started with --test-switches. */
function adminClient(serverUrl, authorization) {
  const request = async (method, path) => {
    const response = await fetch(`${serverUrl}${path}`, { method, headers: { Authorization: authorization } });
    if (!response.ok) throw new Error(`${method} ${path} failed with HTTP ${response.status}`);
    return response.json();
  };
  return {
    resetStats: () => request("POST", "/admin/stats/reset"),
    stats: () => request("GET", "/admin/stats"),
  };
}

/** Warns when the plain-fetch page's body differs from herogi's, beyond the externalUserId. */
function compareBodies(visits) {
  const herogi = visits.find((visit) => visit.name === "herogi");
  const plain = visits.find((visit) => visit.name === "plain fetch");
  if (!herogi?.firstBody || !plain?.firstBody) return;
  const normalize = (body) => {
    const { externalUserId, ...rest } = JSON.parse(body);
    return JSON.stringify(Object.fromEntries(Object.entries(rest).sort()));
  };
  if (normalize(herogi.firstBody) !== normalize(plain.firstBody)) {
    console.error(`warning: the plain-fetch body differs from herogi's:\n  herogi: ${herogi.firstBody}\n  plain:  ${plain.firstBody}`);
  }
}

function slug(name) {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, "-");
}

function logVisit(label, visit) {
  if (visit.blockedRequests.length) {
    console.error(`${label}: blocked requests to other hosts: ${visit.blockedRequests.join(", ")}`);
  }
  console.error(
    `${label}: ready ${visit.readyMs.toFixed(1)} ms, call to request ${visit.firstCall.callToRequestMs.toFixed(1)} ms, ` +
      `burst sync ${visit.burst.syncMs.toFixed(1)} ms, settled ${visit.burst.settleMs.toFixed(0)} ms, ` +
      `${visit.burst.requests} requests, ${visit.burst.scoresSent} scores, memory ${(visit.memory.totalBytes / 1024).toFixed(0)} KiB`,
  );
}

async function main() {
  const options = parseOptions();
  const loadAtStart = loadAverage();
  const serverBinary = process.env.HEROGI_SERVER_BIN || join(root, "target/release/herogi-server");
  requireFile(join(root, "node_modules/playwright-core"), "run scripts/setup.sh (or npm install) first");
  requireFile(join(root, "dist/herogi.min.js"), "run `npm run build` first");
  if (options.split) requireFile(join(root, "dist/herogi.split.min.js"), "run `npm run build` first");
  requireFile(
    serverBinary,
    process.env.HEROGI_SERVER_BIN
      ? "HEROGI_SERVER_BIN names a file that does not exist"
      : "run `cargo build --release -p herogi-server` first",
  );
  requireWritable(options.out);

  // The harness reads HEROGI_SERVER_BIN when it is loaded, so it is set before the import.
  process.env.HEROGI_SERVER_BIN = serverBinary;
  const harness = await import("../tests/e2e/harness.mjs");

  // The run serves a copy of dist/herogi.min.js taken now, as /bench-build/herogi.min.js, so a
  // rebuild during the run cannot mix two builds in one set of results.
  const snapshotDir = mkdtempSync(join(os.tmpdir(), "herogi-bench-"));
  mkdirSync(join(snapshotDir, "bench-build"));
  const snapshot = join(snapshotDir, "bench-build/herogi.min.js");
  copyFileSync(join(root, "dist/herogi.min.js"), snapshot);
  if (options.split) writeSplitPage(join(snapshotDir, "bench-build"));
  if (options.blankScript) writeBlankPage(join(snapshotDir, "bench-build"), readFileSync(snapshot).length);

  const staticArgs = ["--static", join(root, "bench/pages"), "--static", snapshotDir];
  if (options.peers) staticArgs.push("--static", join(root, "bench/peers/node_modules"));
  const server = await harness.startServer(["--test-switches", ...staticArgs]);
  let browser;
  let sink;
  const cleanUp = async () => {
    await browser?.close();
    await server.stop();
    await sink?.stop();
    rmSync(snapshotDir, { recursive: true, force: true });
  };
  // Ctrl-C ends the run without results, but still stops the server and removes its files.
  process.once("SIGINT", () => cleanUp().finally(() => process.exit(130)));
  try {
    const variants = coreVariants({
      script: snapshot,
      url: server.url,
      appId: harness.APP_ID,
      appSecret: harness.APP_SECRET,
      admin: adminClient(server.url, harness.AUTHORIZATION),
      getProfile: harness.getProfile,
    });
    if (options.split) variants.splice(1, 0, splitVariant(variants[0], snapshotDir));
    if (options.blankScript) variants.push(blankVariant(variants[variants.length - 1], snapshotDir));
    if (options.peers) {
      const peers = await import("./peers/peers.mjs");
      sink = await peers.startPeerSink();
      variants.push(...peers.peerVariants({ root, sink }));
    }
    for (const variant of variants) variant.size = variant.scriptFiles.length ? measureSize(variant.scriptFiles, variant.scriptNames) : null;

    // The pages load from localhost and send to 127.0.0.1, two origins as on a real site, so a
    // request that needs CORS preflight gets one. --same-origin loads them from 127.0.0.1.
    const pageOrigin = options.sameOrigin ? server.url : server.url.replace("//127.0.0.1:", "//localhost:");
    browser = await harness.launchBrowser();
    const visit = (variant, label, externalId) =>
      measureVisit({ browser, variant, pageUrl: pageOrigin + variant.page, externalId, calls: options.calls }).then(
        (result) => {
          logVisit(label, result);
          return result;
        },
      );

    // One visit of each page first, not recorded: it fills the OS file cache and starts
    // Chromium's renderer and network processes.
    const warmups = [];
    for (const variant of variants) {
      const result = await visit(variant, `warm-up ${variant.name}`, `bench-${slug(variant.name)}-warmup`);
      warmups.push({ name: variant.name, ...result });
    }
    compareBodies(warmups);

    for (const variant of variants) variant.visits = [];
    for (let run = 0; run < options.runs; run++) {
      // Each run starts with the next variant, so no page always runs first.
      const order = variants.map((_, index) => variants[(run + index) % variants.length]);
      for (const variant of order) {
        const externalId = `bench-${slug(variant.name)}-${run + 1}`;
        variant.visits.push(await visit(variant, `run ${run + 1}/${options.runs} ${variant.name}`, externalId));
      }
    }

    const results = {
      date: new Date().toISOString(),
      command: ["node", "bench/run.mjs", ...process.argv.slice(2)].join(" "),
      runs: options.runs,
      calls: options.calls,
      sameOrigin: options.sameOrigin,
      machine: describeMachine(browser.version(), loadAtStart),
      build: describeBuild(),
      variants: variants.map((variant) => ({
        name: variant.name,
        size: variant.size,
        summary: summarizeVisits(variant.visits),
        visits: variant.visits,
      })),
    };
    // The tables come first, so that a failed write still leaves them on the screen.
    const machine = results.machine;
    console.log(
      `\n${results.date}, ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, ` +
        `Chromium ${machine.chromium}, load average ${machine.loadAverageAtStart[0]} at start and ` +
        `${machine.loadAverageAtEnd[0]} at end, ${results.runs} ${results.runs === 1 ? "run" : "runs"}, ` +
        "median (min to max):\n",
    );
    console.log(formatTables(results));
    writeFileSync(options.out, JSON.stringify(results, null, 2) + "\n");
    console.log(`\nwrote ${relative(process.cwd(), options.out)}`);
  } finally {
    await cleanUp();
  }
}

try {
  await main();
} catch (error) {
  console.error(`bench/run.mjs failed: ${error.message}`);
  if (error.cause) console.error(`caused by: ${error.cause.message ?? error.cause}`);
  process.exitCode = 1;
}
