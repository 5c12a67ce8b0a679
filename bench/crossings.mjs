// Counts the calls from the wasm core into JavaScript (the imports of wasm-bindgen's glue) that
// one identify call makes: in the call itself, and until it is delivered. Each such call
// crosses the boundary between wasm and JavaScript, which costs time per crossing. The script
// serves a copy of dist/herogi.min.js whose imports count their calls, and measures on a page
// whose localStorage contains no other keys and on one with 200 keys of other scripts, since the
// SDK lists storage keys to find queued calls.
//
// Usage: npm run build, cargo build -p herogi-server, then node bench/crossings.mjs.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { APP_ID, APP_SECRET, launchBrowser, root, startServer } from "../tests/e2e/harness.mjs";

/** Returns the script with each import of the core wrapped in a counter on `window`. */
function countingScript() {
  const script = readFileSync(join(root, "dist/herogi.min.js"), "utf8");
  // The glue's function that returns the imports object, as esbuild minifies it.
  const imports = /function ([\w$]+)\(\)\{return\{__proto__:null,a:\{__proto__:null,/;
  const found = script.match(imports);
  if (!found) throw new Error("dist/herogi.min.js: the core's imports object was not found");
  const name = found[1];
  const counter =
    "function countCrossings(o){for(const k in o.a){const f=o.a[k];" +
    'if(typeof f=="function")o.a[k]=function(...x){window.crossings=(window.crossings||0)+1;' +
    "return f.apply(this,x)}}return o}\n";
  return counter + script.replace(found[0], `function ${name}(){return countCrossings(${name}Counted())}` + found[0].replace(name, `${name}Counted`));
}

const script = countingScript();
const server = await startServer();
const browser = await launchBrowser();
try {
  console.log("| other localStorage keys | crossings in the call | crossings until delivered |");
  console.log("|---|---|---|");
  for (const otherKeys of [0, 200]) {
    const page = await browser.newPage();
    await page.route("**/herogi.min.js", (route) =>
      route.fulfill({ body: script, contentType: "text/javascript" }),
    );
    await page.goto(`${server.url}/blank.html`);
    const counts = await page.evaluate(
      async ([appId, appSecret, otherKeys]) => {
        for (let i = 0; i < otherKeys; i++) localStorage.setItem(`other-script:${i}`, "value");
        herogi.init(appId, appSecret, false, { apiUrl: location.origin });
        await herogi.ready();
        // The first call finishes the set-up; the second is the one counted.
        await herogi.identify("crossings-first", { city: "Oslo" });
        const settle = () => new Promise((resolve) => setTimeout(resolve, 300));
        await settle();
        const before = window.crossings;
        const call = herogi.identify("crossings-second", { city: "Oslo", email: "ann@example.com" }, { plan: "pro" });
        const inCall = window.crossings - before;
        await call;
        await settle();
        return { inCall, delivered: window.crossings - before };
      },
      [APP_ID, APP_SECRET, otherKeys],
    );
    console.log(`| ${otherKeys} | ${counts.inCall} | ${counts.delivered} |`);
    await page.close();
  }
} finally {
  await browser.close();
  await server.stop();
}
