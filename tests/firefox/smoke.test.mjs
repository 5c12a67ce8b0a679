// End-to-end smoke test in headless Firefox ESR: dist/herogi.min.js against the real server,
// driven through geckodriver's W3C WebDriver. Needs `npm run build`, `cargo build -p
// herogi-server`, firefox-esr and geckodriver (scripts/setup.sh installs them).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { APP_ID, APP_SECRET, getProfile, startServer } from "../e2e/harness.mjs";
import { firefoxCapabilities, resolvedHosts, Session, startGeckodriver } from "./webdriver.mjs";

const POSITION = { lat: 12.12, lng: 100.31 };
const LOCATION_TEXT = '{"latitude":12.12,"longitude":100.31}';

// Firefox's network geolocation provider reads the position from this URL. A data: URL gives a
// fixed position without a request, and the testing prefs grant the permission without a prompt.
const GEOLOCATION_PREFS = {
  "geo.provider.network.url": `data:application/json,${JSON.stringify({ location: POSITION, accuracy: 10 })}`,
  "geo.provider.testing": true,
  "geo.provider.use_geoclue": false,
  "geo.prompt.testing": true,
  "geo.prompt.testing.allow": true,
  "permissions.default.geo": 1,
};

let server;
let driver;
let session;
let logDir;

before(async () => {
  server = await startServer();
  logDir = mkdtempSync(join(tmpdir(), "herogi-firefox-"));
  driver = await startGeckodriver({ logDir });
  session = await Session.create(driver.url, firefoxCapabilities(GEOLOCATION_PREFS));
  await session.setScriptTimeout(20_000);
});

after(async () => {
  await session?.close().catch(() => {});
  await driver?.stop();
  await server?.stop();
  if (logDir) rmSync(logDir, { recursive: true, force: true });
});

/**
 * Loads blank.html, which loads herogi.min.js, and records in the page every console error and
 * warning and every uncaught error from then on.
 */
async function openPage(origin = server.url) {
  await session.navigate(`${origin}/blank.html`);
  await session.executeScript(`
    window.recorded = [];
    for (const level of ["error", "warn"]) {
      const original = console[level];
      console[level] = (...args) => {
        window.recorded.push(level + ": " + args.map(String).join(" "));
        original.apply(console, args);
      };
    }
    window.addEventListener("error", (event) => window.recorded.push("error event: " + event.message));
    window.addEventListener("unhandledrejection", (event) =>
      window.recorded.push("unhandled rejection: " + event.reason));
  `);
}

/**
 * Runs init and one identify in the page and returns what the page saw. The identify arguments
 * travel as JSON text and are parsed in the page: Firefox hands WebDriver script arguments over
 * as objects of another realm, whose prototype is not the page's Object.prototype.
 */
function initAndIdentify(askLocation, identifyArgs) {
  return session.executeAsyncScript(
    `
    const [appId, appSecret, askLocation, identifyJson, done] = arguments;
    herogi.init(appId, appSecret, askLocation, window.JSON.parse(JSON.stringify({ apiUrl: location.origin })));
    herogi.identify(...window.JSON.parse(identifyJson)).then(
      (result) => done({
        hgid: result.hgid,
        dropped: result.dropped,
        getHgid: herogi.getHgid(),
        stored: localStorage.getItem("herogi:hgid"),
        recorded: window.recorded,
      }),
      (error) => done({ failure: error.code + ": " + error.message, recorded: window.recorded }),
    );
    `,
    [APP_ID, APP_SECRET, askLocation, JSON.stringify(identifyArgs)],
  );
}

test("session runs Firefox ESR headless", async () => {
  assert.equal(session.capabilities.browserName, "firefox");
  assert.match(session.capabilities.browserVersion, /^\d+\./);
  assert.equal(session.capabilities["moz:headless"], true);
});

test("identify stores profile in Firefox", async () => {
  await openPage();
  const userAgent = await session.executeScript("return navigator.userAgent");
  assert.match(userAgent, /Firefox\//);

  const seen = await initAndIdentify(false, [
    "firefox-smoke",
    { firstname: "Fox", city: "Oslo", gender: "female" },
    { plan: "pro" },
  ]);
  assert.equal(seen.failure, undefined);
  assert.match(seen.hgid, /\S/);
  assert.deepEqual(seen.dropped, []);
  assert.equal(seen.getHgid, seen.hgid);
  assert.equal(seen.stored, seen.hgid, "localStorage does not hold the hgid");
  assert.deepEqual(seen.recorded, []);

  const profile = await getProfile(server.url, seen.hgid);
  assert.equal(profile.externalUserId, "firefox-smoke");
  assert.equal(profile.firstname, "Fox");
  assert.equal(profile.city, "Oslo");
  assert.equal(profile.gender, "FEMALE");
  assert.deepEqual(profile.customAttributes, { plan: "pro" });
});

test("stored hgid is sent again", async () => {
  // Same session, same origin: the page finds the hgid of the previous test in localStorage.
  await openPage();
  const before = await session.executeScript('return localStorage.getItem("herogi:hgid")');
  const seen = await initAndIdentify(false, ["firefox-smoke", { lastname: "Reynard" }]);
  assert.equal(seen.failure, undefined);
  assert.equal(seen.hgid, before);
  const profile = await getProfile(server.url, seen.hgid);
  assert.equal(profile.firstname, "Fox");
  assert.equal(profile.lastname, "Reynard");
});

test("geolocation on localhost origin", async () => {
  // The localhost origin also exercises the SDK's http:// exception for localhost, and gives the
  // resolver log a name to record.
  await openPage(server.url.replace("127.0.0.1", "localhost"));
  const seen = await initAndIdentify(true, ["firefox-geo", { firstname: "Geo" }]);
  assert.equal(seen.failure, undefined);
  assert.deepEqual(seen.recorded, []);
  const profile = await getProfile(server.url, seen.hgid);
  assert.equal(profile.currentLocation, LOCATION_TEXT);
});

test("Firefox resolves only loopback hosts", async () => {
  // The resolver log is complete only once Firefox has exited, so this test ends the session.
  await session.close();
  await driver.stop();
  const hosts = resolvedHosts(logDir);
  assert.ok(hosts.includes("localhost"), `the resolver log lacks localhost: ${hosts.join(", ")}`);
  const outside = hosts.filter((host) => !["127.0.0.1", "localhost", "::1"].includes(host));
  assert.deepEqual(outside, [], "Firefox resolved hosts outside loopback");
  const output = driver.output.join("");
  assert.doesNotMatch(output, /Non-local network connections are disabled/);
});
