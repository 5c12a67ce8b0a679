// Size budget of the built scripts: prints raw, gzip and brotli sizes and fails when a script's
// gzip size exceeds its budget. Needs `npm run build` first.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { root } from "./harness.mjs";

const KIB = 1024;

// NOTE: the product target is 15 KiB gzip for each script. These budgets are the gzip sizes of
// the build with the core inlined deflated, the request deadline, reset generations and the
// per-call location choice (about 61 KiB), rounded up to a whole KiB, plus 1 KiB. They only stop
// the scripts from growing until the wasm core is cut, so lower them with each cut.
const BUDGETS_GZIP_BYTES = {
  "herogi.min.js": 62 * KIB,
  "herogi.mjs": 62 * KIB,
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
        `(${formatKib(budget)}). Make the script smaller, or raise BUDGETS_GZIP_BYTES in ` +
        "tests/e2e/size.test.mjs only with a reason in the commit",
    );
  });
}
