// A short run of the browser benchmark (bench/run.mjs), so that a change to the pages, the
// harness or the SDK cannot break it unnoticed. It checks what the run reports about delivery,
// sizes and errors, never a time. Needs `npm run build` first, and uses the tests' server.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { root, serverBinary } from "./harness.mjs";

const CALLS = 20;

test("benchmark run delivers every call", { timeout: 240_000 }, async () => {
  const folder = mkdtempSync(join(tmpdir(), "herogi-bench-test-"));
  const out = join(folder, "results.json");
  try {
    await promisify(execFile)(
      process.execPath,
      ["bench/run.mjs", "--runs", "1", "--calls", String(CALLS), "--split", "--blank-script", "--out", out],
      { cwd: root, env: { ...process.env, HEROGI_SERVER_BIN: serverBinary }, maxBuffer: 16 * 1024 * 1024 },
    );
    const results = JSON.parse(readFileSync(out, "utf8"));
    assert.deepEqual(
      results.variants.map((variant) => variant.name),
      ["herogi", "herogi split", "plain fetch", "plain fetch + blank script"],
    );

    const herogi = results.variants[0];
    const script = readFileSync(join(root, "dist/herogi.min.js"));
    assert.equal(herogi.size.rawBytes, script.length);
    assert.equal(herogi.size.gzipBytes, gzipSync(script, { level: 9 }).length);
    assert.equal(results.variants[3].size.rawBytes, script.length);

    for (const variant of results.variants) {
      assert.equal(variant.visits.length, 1, variant.name);
      const [visit] = variant.visits;
      assert.ok(visit.readyMs > 0, `${variant.name}: ready at ${visit.readyMs} ms`);
      assert.ok(visit.memory.totalBytes > 0, `${variant.name}: memory ${visit.memory.totalBytes}`);
      assert.deepEqual(visit.pageErrors, [], variant.name);
      assert.deepEqual(visit.blockedRequests, [], variant.name);
      assert.equal(visit.burst.fulfilled, CALLS, variant.name);
      assert.deepEqual(visit.burst.rejected, {}, variant.name);
      assert.equal(visit.burst.timedOut, false, variant.name);
      assert.equal(visit.burst.inOrder, true, variant.name);
      assert.equal(visit.burst.requests, visit.burst.applied, variant.name);
    }
    // The plain-fetch page sends all its calls at once, so the server may apply them out of
    // order. herogi sends one request at a time, so its last call is the one stored.
    for (const variant of results.variants.slice(0, 2)) {
      assert.equal(variant.visits[0].burst.lastCallKept, true, variant.name);
      assert.equal(variant.visits[0].burst.scoresSent, variant.visits[0].burst.requests, variant.name);
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
