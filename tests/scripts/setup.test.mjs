// scripts/setup.sh on a machine without the browsers: it runs apt-get directly as root, through
// sudo as another user, and stops with the packages to install when it can do neither. The test
// runs a copy of the script in a temporary folder, with a PATH of stand-ins for id, sudo, apt-get
// and the tools the script checks. The stand-ins record their calls, so nothing is installed.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const WASM_BINDGEN_VERSION = "0.2.100";

/** Returns the path of `name` on this machine's PATH. */
function which(name) {
  for (const folder of process.env.PATH.split(delimiter)) {
    const path = join(folder, name);
    if (existsSync(path)) return path;
  }
  throw new Error(`${name} is not on PATH`);
}

const bash = which("bash");

/** Writes an executable bash script. */
function writeScript(path, body) {
  writeFileSync(path, `#!${bash}\n${body}\n`);
  chmodSync(path, 0o755);
}

/**
 * Runs a copy of scripts/setup.sh as the user id `uid`, with the commands in `commands` on PATH
 * besides the ones every run has. Returns the exit status, stderr and the stand-ins' calls.
 */
function runSetup(t, { uid, commands }) {
  const work = mkdtempSync(join(tmpdir(), "herogi-setup-"));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const repo = join(work, "repo");
  const bin = join(work, "bin");
  const calls = join(work, "calls.log");
  mkdirSync(join(repo, "scripts"), { recursive: true });
  mkdirSync(join(repo, "node_modules"));
  mkdirSync(join(work, "cargo/bin"), { recursive: true });
  mkdirSync(bin);
  copyFileSync(join(root, "scripts/setup.sh"), join(repo, "scripts/setup.sh"));

  // What the steps after the browsers find already there: the wasm-bindgen-cli of Cargo.lock,
  // geckodriver, and node_modules newer than package-lock.json.
  writeFileSync(join(repo, "Cargo.lock"), `[[package]]\nname = "wasm-bindgen"\nversion = "${WASM_BINDGEN_VERSION}"\n`);
  writeFileSync(join(repo, "package-lock.json"), "{}\n");
  writeFileSync(join(repo, "node_modules/.package-lock.json"), "{}\n");
  const hourAgo = new Date(Date.now() - 3600 * 1000);
  utimesSync(join(repo, "package-lock.json"), hourAgo, hourAgo);
  writeScript(join(work, "cargo/bin/geckodriver"), 'echo "geckodriver 0.37.1"');
  writeScript(join(bin, "rustup"), "echo wasm32-unknown-unknown");
  writeScript(join(bin, "wasm-bindgen"), `echo "wasm-bindgen ${WASM_BINDGEN_VERSION}"`);

  // The stand-ins of the commands that need root or install something record each call.
  writeScript(join(bin, "id"), `[ "$1" = -u ] && echo ${uid}`);
  writeScript(join(bin, "apt-get"), `echo "apt-get DEBIAN_FRONTEND=\${DEBIAN_FRONTEND:-} $*" >> "${calls}"`);
  for (const name of ["cargo", "npm"]) {
    writeScript(join(bin, name), `echo "${name} $*" >> "${calls}"; exit 1`);
  }
  for (const name of commands) {
    if (name === "sudo") {
      writeScript(join(bin, "sudo"), `echo "sudo $*" >> "${calls}"; exec env "$@"`);
    } else {
      writeScript(join(bin, name), "exit 0");
    }
  }
  for (const name of ["bash", "env", "awk", "grep", "dirname"]) {
    symlinkSync(which(name), join(bin, name));
  }

  const result = spawnSync(bash, [join(repo, "scripts/setup.sh")], {
    encoding: "utf8",
    env: { PATH: bin, HOME: work, CARGO_HOME: join(work, "cargo") },
  });
  const log = existsSync(calls) ? readFileSync(calls, "utf8").trim().split("\n") : [];
  return { status: result.status, stderr: result.stderr, calls: log };
}

const BROWSERS = ["chromium", "chromedriver", "firefox-esr"];
const INSTALL = "install -y -qq --no-install-recommends";

test("root runs apt-get directly", (t) => {
  const run = runSetup(t, { uid: 0, commands: [] });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(run.calls, [
    "apt-get DEBIAN_FRONTEND=noninteractive update -qq",
    `apt-get DEBIAN_FRONTEND=noninteractive ${INSTALL} chromium chromium-driver firefox-esr`,
  ]);
});

test("other user runs apt-get through sudo", (t) => {
  const run = runSetup(t, { uid: 1000, commands: ["sudo"] });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(run.calls, [
    "sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq",
    "apt-get DEBIAN_FRONTEND=noninteractive update -qq",
    `sudo DEBIAN_FRONTEND=noninteractive apt-get ${INSTALL} chromium chromium-driver firefox-esr`,
    `apt-get DEBIAN_FRONTEND=noninteractive ${INSTALL} chromium chromium-driver firefox-esr`,
  ]);
});

test("no root and no sudo names packages", (t) => {
  const run = runSetup(t, { uid: 1000, commands: ["chromium", "chromedriver"] });
  assert.equal(run.status, 1);
  assert.deepEqual(run.calls, []);
  assert.match(run.stderr, /the Debian packages firefox-esr are missing/);
  assert.match(run.stderr, /sudo is not installed/);
  assert.match(run.stderr, /^ {2}apt-get install firefox-esr$/m);
});

test("installed browsers need no apt-get", (t) => {
  const run = runSetup(t, { uid: 1000, commands: BROWSERS });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(run.calls, []);
});

test("missing driver installs only Chromium", (t) => {
  const run = runSetup(t, { uid: 0, commands: ["chromium", "firefox-esr"] });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(run.calls, [
    "apt-get DEBIAN_FRONTEND=noninteractive update -qq",
    `apt-get DEBIAN_FRONTEND=noninteractive ${INSTALL} chromium chromium-driver`,
  ]);
});
