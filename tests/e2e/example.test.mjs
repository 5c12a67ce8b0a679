// The example page, www-example/index.html, against a server that runs with its default demo
// credentials and custom attributes, as a developer who tries the page would start it.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { root, server, spawnServer, useServerAndBrowser } from "./harness.mjs";
import { newPageInNewContext } from "./page-helpers.mjs";

// herogi-server's defaults when no --app-id, --app-secret or --custom-attribute is given.
const DEMO_AUTHORIZATION = "Basic " + Buffer.from("demo-app:demo-secret").toString("base64");

/**
 * Starts herogi-server on loopback with a new database and its default credentials. The
 * harness's startServer cannot be used: it passes --app-id, and the server rejects an option
 * given twice.
 */
function startDemoServer() {
  return spawnServer(["--static", join(root, "www-example"), "--static", join(root, "dist")]);
}

async function getDemoProfile(serverUrl, hgid) {
  const response = await fetch(`${serverUrl}/v1/users/${encodeURIComponent(hgid)}`, {
    headers: { Authorization: DEMO_AUTHORIZATION },
  });
  assert.equal(response.status, 200, `GET /v1/users/${hgid} returned ${response.status}`);
  return response.json();
}

useServerAndBrowser({ start: startDemoServer });

/** Opens the example page in a new context that closes when the test ends. */
async function openExample(t, contextOptions = {}, path = "/index.html") {
  const { page, messages } = await newPageInNewContext(t, contextOptions);
  await page.goto(server.url + path);
  return { page, messages };
}

function errorText(page) {
  return page.locator("#error").textContent();
}

async function submitAndWaitForProfile(page) {
  await page.getByRole("button", { name: "Identify" }).click();
  await page.locator("#status").filter({ hasText: /the stored profile is below|failed/ }).waitFor();
}

test("page loads without console errors", async (t) => {
  const { page, messages } = await openExample(t);
  await page.waitForFunction(() => window.herogi && !Array.isArray(window.herogi.q));
  assert.deepEqual(messages.errors, []);
  assert.equal(await page.title(), "herogi SDK example");
  assert.equal(await page.locator("#stored-hgid").textContent(), "none");
});

test("example.js starts with the snippet's stub", () => {
  const snippet = readFileSync(join(root, "js/snippet.html"), "utf8");
  const stub = snippet.match(/<script>([\s\S]*?)<\/script>/)[1];
  const example = readFileSync(join(root, "www-example/example.js"), "utf8");
  const code = (text) =>
    text
      .split("\n")
      .filter((line) => !line.trim().startsWith("//"))
      .join(" ")
      .replace(/\s+/g, " ")
      .trim();
  assert.ok(
    code(example).startsWith(code(stub)),
    "example.js does not start with the stub of js/snippet.html",
  );
});

test("form submit shows hgid and profile", async (t) => {
  const { page, messages } = await openExample(t);
  await page.getByLabel("External id", { exact: true }).fill("example-user-1");
  await page.getByLabel("Email", { exact: true }).fill("ada@example.com");
  await page.getByLabel("First name", { exact: true }).fill("Ada");
  await page.getByLabel("Plan", { exact: true }).fill("pro");
  await page.getByLabel("Loyalty points", { exact: true }).fill("120");
  await page.getByLabel("Email opt-in", { exact: true }).selectOption("OPTOUT");
  await submitAndWaitForProfile(page);

  assert.equal(await page.locator("#error").isHidden(), true, await errorText(page));
  const hgid = await page.locator("#hgid").textContent();
  assert.match(hgid, /\S/);
  assert.notEqual(hgid, "none yet");
  assert.equal(await page.locator("#stored-hgid").textContent(), hgid);
  assert.equal(await page.locator("#dropped-section").isHidden(), true);

  const pageProfile = JSON.parse(await page.locator("#profile").textContent());
  assert.equal(pageProfile.hgid, hgid);
  assert.equal(pageProfile.email, "ada@example.com");
  assert.equal(pageProfile.customAttributes.plan, "pro");

  const stored = await getDemoProfile(server.url, hgid);
  assert.equal(stored.externalUserId, "example-user-1");
  assert.equal(stored.email, "ada@example.com");
  assert.equal(stored.firstname, "Ada");
  assert.equal(stored.emailOptin, "OPTOUT");
  assert.deepEqual(stored.customAttributes, { plan: "pro", loyaltyPoints: 120 });
  assert.deepEqual(messages.errors, []);
});

test("invalid email is shown as dropped", async (t) => {
  const { page, messages } = await openExample(t);
  await page.getByLabel("External id", { exact: true }).fill("example-user-2");
  await page.getByLabel("Email", { exact: true }).fill("not an email");
  await page.getByLabel("First name", { exact: true }).fill("Grace");
  await page.getByLabel("Plan", { exact: true }).fill("basic");
  await submitAndWaitForProfile(page);

  assert.equal(await page.locator("#error").isHidden(), true, await errorText(page));
  const dropped = await page.locator("#dropped li").allTextContents();
  assert.equal(dropped.length, 1);
  assert.match(dropped[0], /^email = "not an email": /);

  const hgid = await page.locator("#hgid").textContent();
  const stored = await getDemoProfile(server.url, hgid);
  assert.equal(stored.email, undefined);
  assert.equal(stored.firstname, "Grace");
  assert.equal(stored.customAttributes.plan, "basic");
  const pageProfile = JSON.parse(await page.locator("#profile").textContent());
  assert.equal(pageProfile.firstname, "Grace");
  assert.equal(pageProfile.email, undefined);
  // The SDK reports the dropped value as a console warning, not as an error.
  assert.deepEqual(messages.errors, []);
});

test("identify error shows code and field", async (t) => {
  const { page, messages } = await openExample(t);
  await page.getByLabel("External id", { exact: true }).fill("undefined");
  await page.getByLabel("First name", { exact: true }).fill("Nobody");
  await submitAndWaitForProfile(page);

  const error = await page.locator("#error").textContent();
  assert.match(error, /^INVALID_ARGUMENT /);
  assert.match(error, /\(field: externalId\)$/);
  assert.equal(await page.locator("#hgid").textContent(), "none yet");
  assert.deepEqual(messages.errors, []);
});

test("location switch reloads and sends position", async (t) => {
  const { page, messages } = await openExample(t, {
    permissions: ["geolocation"],
    geolocation: { latitude: 12.12, longitude: 100.31 },
  });
  assert.equal(await page.getByRole("switch", { name: "Ask for location" }).isChecked(), false);
  await Promise.all([
    page.waitForURL(/\?location=1$/),
    page.getByRole("switch", { name: "Ask for location" }).check(),
  ]);
  assert.equal(await page.getByRole("switch", { name: "Ask for location" }).isChecked(), true);

  await page.getByLabel("External id", { exact: true }).fill("example-user-3");
  await submitAndWaitForProfile(page);
  const hgid = await page.locator("#hgid").textContent();
  const stored = await getDemoProfile(server.url, hgid);
  assert.equal(stored.currentLocation, '{"latitude":12.12,"longitude":100.31}');
  assert.deepEqual(messages.errors, []);
});
