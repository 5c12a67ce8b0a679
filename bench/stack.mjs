// Measures how much of its wasm stack the SDK uses, so that the stack size set in
// .cargo/config.toml (-zstack-size) can be chosen from a number rather than a guess.
//
// rustc places the stack first in linear memory, below the static data: it starts at the
// configured size and grows down towards address 0. Between calls no wasm frame is active, so
// the script first fills the whole region with a marker byte. Then it makes the calls that nest
// deepest and waits until each one settles. They carry values nested to the 32 levels the SDK
// accepts and one level more, and the 65,536 values a call may carry. An identify in its object
// form and a reset follow. The lowest byte that no longer contains the marker gives the stack used. A stack too
// small for these calls makes them fail, because wasm traps when the stack pointer goes below 0.
//
// Usage: npm run build, then node bench/stack.mjs. It prints the bytes used and the bytes
// configured, and exits with 1 when a call failed.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { APP_ID, APP_SECRET, launchBrowser, root, startServer } from "../tests/e2e/harness.mjs";

const MARKER = 0xa5;
const configured = Number(readFileSync(join(root, ".cargo/config.toml"), "utf8").match(/-zstack-size=(\d+)/)?.[1]);
if (!configured) throw new Error(".cargo/config.toml sets no -zstack-size");

const server = await startServer();
const browser = await launchBrowser();
let failed = false;
try {
  const page = await browser.newPage();
  await page.goto(`${server.url}/blank.html`);
  await page.evaluate(
    ([appId, appSecret]) => {
      herogi.init(appId, appSecret, false, { apiUrl: location.origin });
      return herogi.ready();
    },
    [APP_ID, APP_SECRET],
  );

  // The core's memory, found the way the benchmark finds it, is kept on window for the page.
  const cdp = await page.context().newCDPSession(page);
  const prototype = await cdp.send("Runtime.evaluate", { expression: "WebAssembly.Memory.prototype" });
  const memories = await cdp.send("Runtime.queryObjects", { prototypeObjectId: prototype.result.objectId });
  const count = await cdp.send("Runtime.callFunctionOn", {
    objectId: memories.objects.objectId,
    functionDeclaration: "function () { window.coreMemory = this[0]; return this.length; }",
    returnByValue: true,
  });
  if (count.result.value !== 1) throw new Error(`expected one WebAssembly.Memory, found ${count.result.value}`);

  const outcome = await page.evaluate(
    async ([size, marker]) => {
      new Uint8Array(window.coreMemory.buffer, 0, size).fill(marker);
      const nested = (levels, leaf) => (levels === 0 ? leaf : { level: nested(levels - 1, leaf) });
      const nestedList = (levels, leaf) => (levels === 0 ? leaf : [nestedList(levels - 1, leaf)]);
      const calls = [
        herogi.identify("stack-user", { firstname: "Deep", city: "Oslo" }, {
          plan: nested(31, "leaf"),
          score: nestedList(31, 1),
          tooDeep: nested(33, "leaf"),
        }),
        herogi.identify("stack-user", { firstname: "Wide" }, { plan: new Array(65535).fill(1) }),
        herogi.identify({ externalId: "stack-user", firstname: "Object form" }, { preferences: nested(31, 1) }),
      ];
      herogi.reset();
      calls.push(herogi.identify("stack-user-2", { firstname: "After reset" }));
      const results = await Promise.allSettled(calls);
      const bytes = new Uint8Array(window.coreMemory.buffer, 0, size);
      const lowest = bytes.findIndex((byte) => byte !== marker);
      return {
        used: lowest === -1 ? 0 : size - lowest,
        failures: results.filter((result) => result.status === "rejected").map((result) => String(result.reason)),
      };
    },
    [configured, MARKER],
  );
  const kib = (bytes) => (bytes / 1024).toFixed(1);
  console.log(`wasm stack used: ${outcome.used} bytes (${kib(outcome.used)} KiB) of ${configured} configured`);
  if (outcome.failures.length > 0) {
    failed = true;
    console.log(`calls that failed:\n${outcome.failures.join("\n")}`);
  }
} finally {
  await browser.close();
  await server.stop();
}
process.exit(failed ? 1 : 0);
