// Size budget of the built files: prints raw, gzip and brotli sizes and fails when a file's gzip
// size exceeds its budget, or when the split build's two files together are not smaller than
// the inline script with brotli. Needs `npm run build` first.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { root } from "./harness.mjs";

const KIB = 1024;

// NOTE: the product target of 15 KiB gzip for the script a page loads is below the 17.4 KiB of
// the rules alone as wasm (node bench/floor.mjs), so no budget here reaches it. Each budget is
// the file's gzip size plus at least 100 bytes, rounded up to a quarter KiB. The sizes come from
// the build whose core wasm-opt flattens and re-loops before -Oz (js/wasm-opt.mjs), with the
// split build's fetch timeout: herogi.min.js 39,742 bytes, herogi.mjs 39,606,
// herogi.split.min.js 8,279, herogi_bg.wasm 32,550. The budgets only stop the files from
// growing until the core is cut further, so lower them with each cut. The split build's page
// loads herogi.split.min.js and then herogi_bg.wasm, so both have a budget.
const BUDGETS_GZIP_BYTES = {
  "herogi.min.js": 39 * KIB,
  "herogi.mjs": 39 * KIB,
  "herogi.split.min.js": 8.25 * KIB,
  "herogi_bg.wasm": 32 * KIB,
};

/** Returns the raw, gzip (level 9) and brotli (quality 11) sizes of a file, in bytes. */
function measure(path) {
  const bytes = readFileSync(path);
  const gzip = gzipSync(bytes, { level: 9 }).length;
  const brotli = brotliCompressSync(bytes, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  }).length;
  return { raw: bytes.length, gzip, brotli };
}

function formatKib(bytes) {
  return (bytes / KIB).toFixed(1) + " KiB";
}

for (const [file, budget] of Object.entries(BUDGETS_GZIP_BYTES)) {
  test(`${file} gzip within budget`, () => {
    const path = join(root, "dist", file);
    assert.ok(existsSync(path), `${path} is missing: run \`npm run build\` first`);
    const size = measure(path);
    console.log(
      `dist/${file}: ${size.raw} bytes (${formatKib(size.raw)}) raw, ` +
        `${size.gzip} bytes (${formatKib(size.gzip)}) gzip -9, ` +
        `${size.brotli} bytes (${formatKib(size.brotli)}) brotli q11; gzip budget ${formatKib(budget)}`,
    );
    assert.ok(
      size.gzip <= budget,
      `dist/${file} is ${size.gzip} bytes gzip, over its budget of ${budget} bytes ` +
        `(${formatKib(budget)}). Make the file smaller, or raise BUDGETS_GZIP_BYTES in ` +
        "tests/e2e/size.test.mjs only with a reason in the commit",
    );
  });
}

test("split build smaller with brotli", () => {
  // A page of the split build loads both files. With brotli, which compresses the wasm file but
  // not the inlined core (already deflated), they must cost less than the script with the core
  // inlined. With gzip, zopfli's deflate of the inlined core makes the one file smaller.
  const [inline, script, core] = ["herogi.min.js", "herogi.split.min.js", "herogi_bg.wasm"].map((file) => {
    const path = join(root, "dist", file);
    assert.ok(existsSync(path), `${path} is missing: run \`npm run build\` first`);
    return measure(path);
  });
  const gzip = script.gzip + core.gzip;
  const brotli = script.brotli + core.brotli;
  console.log(
    `split build, script and core together: ${gzip} bytes (${formatKib(gzip)}) gzip -9, ` +
      `${brotli} bytes (${formatKib(brotli)}) brotli q11`,
  );
  assert.ok(brotli < inline.brotli, `the split build is ${brotli} bytes brotli, the inline script ${inline.brotli}`);
});
