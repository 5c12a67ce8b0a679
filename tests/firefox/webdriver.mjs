// A small W3C WebDriver client for geckodriver over fetch: it starts geckodriver on a free
// loopback port, opens a headless Firefox session kept off the network, loads pages and runs
// scripts in them. It implements only the commands that the Firefox tests use.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const testDirectory = dirname(fileURLToPath(import.meta.url));

/** Path of geckodriver: `GECKODRIVER`, else where `cargo install geckodriver` puts it. */
export const GECKODRIVER_PATH = process.env.GECKODRIVER || join(homedir(), ".cargo/bin/geckodriver");

/** Path of the Firefox binary: `FIREFOX_PATH`, else Debian's firefox-esr. */
export const FIREFOX_PATH = process.env.FIREFOX_PATH || "/usr/bin/firefox-esr";

/** Maximum time of one WebDriver command, so that a stuck browser fails the test. */
const COMMAND_TIMEOUT_MS = 60_000;

/**
 * Returns the session capabilities: headless Firefox with the prefs of webdriver.json, which
 * turn off updates, telemetry, Safe Browsing, Remote Settings and other services that would
 * connect to outside hosts. wasm-bindgen-test-runner reads the same file
 * (`WASM_BINDGEN_TEST_WEBDRIVER_JSON`). `extraPrefs` adds or overrides prefs for one session.
 */
export function firefoxCapabilities(extraPrefs = {}) {
  const file = JSON.parse(readFileSync(join(testDirectory, "webdriver.json"), "utf8"));
  const options = file["moz:firefoxOptions"];
  return {
    browserName: "firefox",
    "moz:firefoxOptions": {
      ...options,
      binary: FIREFOX_PATH,
      prefs: { ...options.prefs, ...extraPrefs },
    },
  };
}

/**
 * Starts geckodriver on a free port of 127.0.0.1. Firefox inherits its environment. With
 * `MOZ_DISABLE_NONLOCAL_CONNECTIONS=1`, Firefox prints a FATAL ERROR line and crashes instead
 * of connecting to an address that is neither loopback nor private. With `logDir` set, Firefox
 * logs every host name it resolves to files there (read them with `resolvedHosts`). Returns
 * { url, output, stop }, where `output` collects the lines that geckodriver and Firefox print.
 */
export async function startGeckodriver({ logDir } = {}) {
  const env = { ...process.env, MOZ_DISABLE_NONLOCAL_CONNECTIONS: "1" };
  if (logDir) {
    env.MOZ_LOG = "sync,nsHostResolver:5";
    env.MOZ_LOG_FILE = join(logDir, "firefox");
  }
  const child = spawn(GECKODRIVER_PATH, ["--host", "127.0.0.1", "--port", "0"], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = [];
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      reject(new Error("geckodriver did not start within 15 s: " + output.join("")));
    }, 15_000);
    const collect = (chunk) => {
      output.push(chunk.toString());
      const match = output.join("").match(/Listening on (127\.0\.0\.1:\d+)/);
      if (match) {
        clearTimeout(timer);
        resolve(`http://${match[1]}`);
      }
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`geckodriver could not be started from ${GECKODRIVER_PATH}: ${error.message}`));
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`geckodriver exited with ${code}: ${output.join("")}`));
    });
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  };
  return { url, output, stop };
}

/** Returns the host names that Firefox resolved, read from the `MOZ_LOG` files in `logDir`. */
export function resolvedHosts(logDir) {
  const hosts = new Set();
  for (const name of readdirSync(logDir)) {
    const text = readFileSync(join(logDir, name), "utf8");
    for (const match of text.matchAll(/Resolving host \[([^\]]*)\]/g)) hosts.add(match[1]);
  }
  return [...hosts];
}

/** One WebDriver session. */
export class Session {
  constructor(driverUrl, id, capabilities) {
    this.driverUrl = driverUrl;
    this.id = id;
    this.capabilities = capabilities;
  }

  /** Opens a new session with `capabilities` as `alwaysMatch`. */
  static async create(driverUrl, capabilities) {
    const value = await sendCommand(driverUrl, "POST", "/session", {
      capabilities: { alwaysMatch: capabilities },
    });
    return new Session(driverUrl, value.sessionId, value.capabilities);
  }

  command(method, path, body) {
    return sendCommand(this.driverUrl, method, `/session/${this.id}${path}`, body);
  }

  /** Sets the maximum time, in milliseconds, of an executed script. */
  setScriptTimeout(milliseconds) {
    return this.command("POST", "/timeouts", { script: milliseconds });
  }

  /** Loads `url` and waits for its load event. */
  navigate(url) {
    return this.command("POST", "/url", { url });
  }

  /** Runs the body of a function with `args` as `arguments` and returns its result. */
  executeScript(script, args = []) {
    return this.command("POST", "/execute/sync", { script, args });
  }

  /**
   * Runs the body of a function with `args` as `arguments`, plus a last argument: the function
   * that ends the script with its result.
   */
  executeAsyncScript(script, args = []) {
    return this.command("POST", "/execute/async", { script, args });
  }

  /** Ends the session, which closes Firefox. */
  async close() {
    if (!this.id) return;
    const id = this.id;
    this.id = null;
    await sendCommand(this.driverUrl, "DELETE", `/session/${id}`);
  }
}

/** Sends one WebDriver command and returns its `value`. A WebDriver error is thrown as an Error. */
async function sendCommand(driverUrl, method, path, body) {
  const response = await fetch(driverUrl + path, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json; charset=utf-8" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(COMMAND_TIMEOUT_MS),
  });
  const text = await response.text();
  let payload;
  try {
    payload = JSON.parse(text);
  } catch {
    throw new Error(`WebDriver ${method} ${path}: ${response.status}, not JSON: ${text.slice(0, 200)}`);
  }
  // A WebDriver error has a 4xx or 5xx status. A 2xx value is the command's result, even when it
  // has an `error` key.
  const value = payload.value;
  if (!response.ok) {
    throw new Error(`WebDriver ${method} ${path} failed: ${value?.error}: ${value?.message}`);
  }
  return value;
}
