// The TypeScript declarations, checked with the installed `typescript` package's tsc against
// the package as a consumer resolves it: "herogi" goes through package.json's exports map to
// dist/herogi.d.ts, so these tests need `npm run build` first.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { root } from "./harness.mjs";

const run = promisify(execFile);
const tsc = join(root, "node_modules/.bin/tsc");
const typesDir = join(root, "tests/package/types");
const MARKER = "// @ts-expect-error";

/** Runs tsc on a project; returns its exit code and the `file(line,column): error` lines. */
async function compile(project) {
  try {
    await run(tsc, ["-p", project, "--noEmit", "--strict", "--pretty", "false"], { cwd: root });
    return { code: 0, errors: [] };
  } catch (failure) {
    if (typeof failure.code !== "number") throw failure;
    const errors = failure.stdout.split("\n").filter((line) => /\): error TS\d+/.test(line));
    return { code: failure.code, errors, output: failure.stdout + failure.stderr };
  }
}

test("consumer and misuse files compile", async () => {
  const result = await compile(join(typesDir, "tsconfig.json"));
  assert.equal(result.code, 0, `tsc failed:\n${result.output}`);
});

test("each misuse is a compile error", async (t) => {
  const source = readFileSync(join(typesDir, "misuse.ts"), "utf8");
  const lines = source.split("\n");
  // A marker applies to the line after it; 1-based line numbers, as tsc reports them.
  const expected = new Map();
  lines.forEach((line, index) => {
    if (line.trim().startsWith(MARKER)) expected.set(index + 2, line.trim().slice(MARKER.length).trim());
  });
  assert.ok(expected.size >= 20, `only ${expected.size} misuses are marked`);
  for (const [line, reason] of expected) assert.ok(reason, `the marker above line ${line} gives no reason`);

  // The same file without its markers, in a temporary project that finds "herogi" in a
  // node_modules link to this repository, so it resolves through the exports map as well.
  const dir = mkdtempSync(join(tmpdir(), "herogi-types-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(root, join(dir, "node_modules/herogi"), "dir");
  const stripped = lines.map((line) => (line.trim().startsWith(MARKER) ? "//" : line)).join("\n");
  writeFileSync(join(dir, "misuse.ts"), stripped);
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({ extends: join(typesDir, "tsconfig.json"), files: ["misuse.ts"] }),
  );

  const result = await compile(join(dir, "tsconfig.json"));
  assert.notEqual(result.code, 0, "tsc accepted the misuse file without its markers");
  const errorLines = new Set();
  for (const error of result.errors) {
    const match = error.match(/misuse\.ts\((\d+),\d+\): error/);
    assert.ok(match, `tsc reported an error outside misuse.ts: ${error}`);
    errorLines.add(Number(match[1]));
  }
  for (const [line, reason] of expected) {
    assert.ok(errorLines.has(line), `misuse.ts:${line} compiles, but should fail: ${reason}`);
  }
  for (const line of errorLines) {
    assert.ok(expected.has(line), `misuse.ts:${line} fails but is not marked:\n${result.output}`);
  }
});

/** Returns the names that a declaration file exports as values, and the members of `Herogi`. */
function declaredNames(text) {
  const values = new Set();
  for (const match of text.matchAll(/^export (?:declare )?(?:function|const|class) (\w+)/gm)) values.add(match[1]);
  if (/^export default /m.test(text)) values.add("default");
  const body = text.match(/^export interface Herogi \{([^}]*)\}/m);
  assert.ok(body, "the declarations have no Herogi interface");
  const members = [...body[1].matchAll(/^\s*(?:readonly )?(\w+):/gm)].map((match) => match[1]);
  return { values, members };
}

test("declarations match the module's exports", async () => {
  const declarations = readFileSync(join(root, "dist/herogi.d.ts"), "utf8");
  const { values, members } = declaredNames(declarations);
  const module = await import(pathToFileURL(join(root, "dist/herogi.mjs")).href);
  const exported = Object.keys(module);
  for (const name of exported) assert.ok(values.has(name), `export ${name} has no declaration`);
  for (const name of values) assert.ok(name in module, `${name} is declared but not exported`);
  assert.deepEqual(Object.keys(module.default).sort(), [...members].sort());
});
