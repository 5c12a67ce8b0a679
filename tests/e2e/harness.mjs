// Shared set-up of the end-to-end tests: the real herogi-server on a free loopback port with a
// fresh SQLite database, and headless Debian Chromium kept on loopback.
import { execFileSync, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, beforeEach } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
export const APP_ID = "e2e-app";
export const APP_SECRET = "e2e-secret";
export const AUTHORIZATION = "Basic " + Buffer.from(`${APP_ID}:${APP_SECRET}`).toString("base64");

/** The herogi-server binary that the tests start. */
export const serverBinary = process.env.HEROGI_SERVER_BIN || join(root, "target/debug/herogi-server");

/**
 * Starts herogi-server on 127.0.0.1 with a new database in a new temporary folder and `args`
 * after --listen and --db. Returns { url, stop, logs, dbPath }, where stop ends the server and
 * removes the folder.
 */
export async function spawnServer(args) {
  if (!existsSync(serverBinary)) {
    throw new Error(
      `${serverBinary} not found: build the server first with \`cargo build -p herogi-server\`, ` +
        "or set HEROGI_SERVER_BIN to a herogi-server binary",
    );
  }
  const dir = mkdtempSync(join(tmpdir(), "herogi-e2e-"));
  const dbPath = join(dir, "herogi.db");
  const child = spawn(serverBinary, ["--listen", "127.0.0.1:0", "--db", dbPath, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs = [];
  child.stderr.on("data", (chunk) => logs.push(chunk.toString()));
  let timer;
  const url = await new Promise((resolve, reject) => {
    let out = "";
    timer = setTimeout(() => reject(new Error("herogi-server did not start: " + out + logs.join(""))), 15000);
    child.stdout.on("data", (chunk) => {
      out += chunk.toString();
      const match = out.match(/listening on (http:\/\/\S+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on("exit", (code) => reject(new Error(`herogi-server exited with ${code}: ${out}${logs.join("")}`)));
    child.on("error", (error) => reject(new Error(`herogi-server failed to start: ${error.message}`)));
  }).catch((error) => {
    clearTimeout(timer);
    child.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { url, stop, logs, dbPath };
}

/**
 * Starts herogi-server on 127.0.0.1 with a new database and the harness's credentials, serving
 * dist/ and the test pages. Returns { url, stop, logs, dbPath }.
 */
export function startServer(extraArgs = []) {
  if (!existsSync(join(root, "dist/herogi.min.js"))) {
    throw new Error("dist/herogi.min.js not found: build the SDK first with `npm run build`");
  }
  return spawnServer([
    "--app-id", APP_ID,
    "--app-secret", APP_SECRET,
    "--custom-attribute", "plan",
    "--custom-attribute", "score",
    "--static", join(root, "tests/e2e/pages"),
    "--static", join(root, "dist"),
    "--static", join(root, "www-example"),
    ...extraArgs,
  ]);
}

/** Launches headless Chromium with flags that keep every connection on loopback. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
    ],
  });
}

/** Reads a stored profile through the server's API, or null when it does not exist. */
export async function getProfile(serverUrl, hgid) {
  const response = await fetch(`${serverUrl}/v1/users/${encodeURIComponent(hgid)}`, {
    headers: { Authorization: AUTHORIZATION },
  });
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`GET profile answered ${response.status}`);
  return response.json();
}

/** Reads from a server's database at `dbPath`, read-only, with the sqlite3 command-line tool. */
export function queryDatabase(dbPath, sql) {
  const output = execFileSync("sqlite3", ["-readonly", dbPath, sql], { encoding: "utf8" });
  return output.split("\n").filter((line) => line !== "");
}

let idCounter = 0;

/**
 * Returns an externalUserId that no other call in this process returns, for tests that share a
 * server.
 */
export function uniqueId(name) {
  idCounter += 1;
  return `${name}-${idCounter}-${randomUUID().slice(0, 8)}`;
}

/** Sends an identify straight to the server, as another device of the same user would. */
export async function identifyDirect(serverUrl, body) {
  const response = await fetch(`${serverUrl}/v1/identify`, {
    method: "POST",
    headers: { Authorization: AUTHORIZATION, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/**
 * Returns the test switches of a server started with --test-switches: faults and delays of the next
 * identify requests, and the identify counters (received, applied, repeated, faulted).
 */
export function switches(serverUrl) {
  const send = async (path, body) => {
    const response = await fetch(`${serverUrl}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { Authorization: AUTHORIZATION, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) {
      throw new Error(`${path} returned ${response.status}: ${await response.text()}`);
    }
    return response.json();
  };
  const stats = () => send("/admin/stats");
  return {
    /** Sets the faults and delays of the next identify requests, as POST /admin/faults takes them. */
    setFaults: (plan) => send("/admin/faults", plan),
    stats,
    resetStats: () => send("/admin/stats/reset", {}),
    /** Polls the counters until `done(stats)` holds; a timeout error shows the last ones. */
    async waitForStats(done, description, timeoutMs = 20000) {
      const deadline = Date.now() + timeoutMs;
      let last = await stats();
      while (!done(last)) {
        if (Date.now() > deadline) {
          const text = JSON.stringify(last);
          throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}, stats ${text}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
        last = await stats();
      }
      return last;
    },
  };
}

/** The server and browser of the calling test file, set by useServerAndBrowser's before hook. */
export let server;
export let browser;
/** The test switches of `server`, set when useServerAndBrowser is called with testSwitches. */
export let admin;

/**
 * Registers hooks that start herogi-server and Chromium before the tests of the calling file and
 * stop them after those tests. The tests reach them as `server` and `browser`.
 *
 * `start` takes a list of extra server arguments and returns a started server, as startServer
 * does. With testSwitches, that list is ["--test-switches"] and `admin` is set to the server's
 * switches. Each test then starts with no faults and with the identify counters at zero.
 */
export function useServerAndBrowser({ start = startServer, testSwitches = false } = {}) {
  before(async () => {
    server = await start(testSwitches ? ["--test-switches"] : []);
    if (testSwitches) admin = switches(server.url);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });
  if (testSwitches) {
    beforeEach(async () => {
      await admin.setFaults({ count: 0 });
      await admin.resetStats();
    });
  }
}
