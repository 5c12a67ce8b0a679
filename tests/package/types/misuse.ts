// Deliberate misuse of the package's declarations. Each marked line must be a compile error:
// tests/e2e/types.test.mjs checks that this file compiles (every marker is used), and that
// without the markers tsc reports an error on each marked line and on no other line.
import herogi, { getHgid, HerogiError, HttpError, identify, init, InvalidArgumentError, ready, reset, version } from "herogi";
import type { CustomAttributes, IdentifyResult, UserAttributes } from "herogi";

// @ts-expect-error init needs an app id and secret
init();
// @ts-expect-error the app id is a string
init(42, "app-secret");
// @ts-expect-error the object form needs appSecret
init({ appId: "app-id" });
// @ts-expect-error askLocation is a boolean
init("app-id", "app-secret", "yes");
// @ts-expect-error apiUrl is a string
init("app-id", "app-secret", false, { apiUrl: 8080 });
// @ts-expect-error no such setting
init("app-id", "app-secret", false, { debugMode: true });

// @ts-expect-error an externalId is a string or a number
identify(true);
// @ts-expect-error gender is MALE, FEMALE or OTHER
identify("user-1", { gender: "M" });
// @ts-expect-error an opt-in is OPTIN, OPTOUT or a boolean
identify("user-1", null, null, { emailOptin: "yes" });
// @ts-expect-error email is a string
identify("user-1", { email: 42 });
// @ts-expect-error no such user attribute
identify("user-1", { emial: "ann@example.com" });
// @ts-expect-error currentLocation has latitude and longitude
identify({ currentLocation: { lat: 59.9, lng: 10.7 } });
// @ts-expect-error a function is not JSON
identify("user-1", {}, { onLoad: () => 1 });
// @ts-expect-error a BigInt is not JSON
identify("user-1", {}, { score: 10n });
// @ts-expect-error no such preference
identify("user-1", {}, {}, { newsletterOptin: true });
// @ts-expect-error the callback is a function
identify("user-1", {}, {}, {}, "done");
// @ts-expect-error arguments after the callback are ignored, so none are allowed
identify("user-1", () => {}, "extra");
// @ts-expect-error attributes first take at most three objects and a callback
identify({ city: "Oslo" }, {}, {}, {}, () => {});

const attributes: UserAttributes = { city: "Oslo" };
const custom: CustomAttributes = { plan: "pro" };
identify(attributes, custom).then((result: IdentifyResult) => {
  // @ts-expect-error the result is an object, not the hgid
  const hgid: string = result;
  // @ts-expect-error dropped entries have field, value and reason
  console.log(hgid, result.dropped[0]?.name);
});
identify("user-1", (ok, data) => {
  // @ts-expect-error data may be the hgid, a string, so it needs narrowing first
  console.log(ok, data.code);
});
identify("user-1").catch((error: unknown) => {
  if (error instanceof HerogiError) {
    // @ts-expect-error no such error code
    if (error.code === "NOT_IN_BROWSR") console.log(error);
  }
  if (error instanceof InvalidArgumentError) {
    // @ts-expect-error an InvalidArgumentError has no HTTP status code
    if (error.code === "HTTP_ERROR") console.log(error);
  }
});
// @ts-expect-error an HttpError has an HTTP code
new HttpError("QUEUE_FULL", "queue full");

// @ts-expect-error getHgid is null before the first answer
getHgid().length;
// @ts-expect-error reset takes no arguments
reset("user-1");
ready((ok, error) => {
  // @ts-expect-error error is undefined when ok is true
  console.log(ok, error.code);
});
// @ts-expect-error ready returns a Promise of nothing
ready().then((value: string) => value);
// @ts-expect-error version is read-only
herogi.version = "2.0.0";
// @ts-expect-error the default export has no error classes; import them by name
herogi.HerogiError;
// @ts-expect-error version is a string
const major: number = version;

export { major };
