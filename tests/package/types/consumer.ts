// A strict TypeScript consumer of the package's declarations: every documented call form must
// compile. It is only type-checked (tests/e2e/types.test.mjs), never run.
import herogi, {
  ConfigError,
  EnvironmentError,
  getHgid,
  HerogiError,
  HttpError,
  identify,
  init,
  InvalidArgumentError,
  NetworkError,
  QueueFullError,
  ready,
  reset,
  version,
} from "herogi";
import type {
  CustomAttributes,
  DroppedField,
  ExternalId,
  Gender,
  GenderValue,
  GeoLocation,
  Herogi,
  HerogiErrorCode,
  HerogiGlobal,
  HerogiOptions,
  HerogiSettings,
  IdentifyCallback,
  IdentifyResult,
  JsonValue,
  OptIn,
  OptInValue,
  Preferences,
  ReadyCallback,
  UserAttributes,
} from "herogi";

// The script tag's global, as a page that loads herogi.min.js declares it.
declare global {
  var herogi: HerogiGlobal | undefined;
}

declare const userId: string;
declare const numericId: number;

// init, in the form of the docs and in the old script's form.
init("app-id", "app-secret");
init("app-id", "app-secret", true);
init("app-id", "app-secret", false, { apiUrl: "https://stream.herogi.com", debug: true });
init("app-id", "app-secret", null, null);
herogi.init({ appId: "app-id", appSecret: "app-secret", proxyUrl: "/herogi" }, { locationSubscribe: true });
const settings: HerogiSettings = { appId: "app-id", appSecret: "app-secret", trackingDomain: ".example.com" };
herogi.init(settings);
const options: HerogiOptions = { askLocation: true, apiUrl: undefined };
init("app-id", "app-secret", undefined, options);

const gender: GenderValue = "female";
const sentGender: Gender = "OTHER";
const location: GeoLocation = { latitude: 59.91, longitude: 10.75 };
const attributes: UserAttributes = {
  email: "ann@example.com",
  mobileNo: "+1 (415) 555-0123",
  firstName: "Ann",
  lastname: "Lee",
  city: null,
  gender,
  language: "en-US",
  country: "us",
  timezone: "Europe/Oslo",
  currentLocation: location,
  facebookId: 1234,
  twitterId: "ann",
  lineId: undefined,
  emailOptin: "OPT-IN",
};
const custom: CustomAttributes = {
  plan: "pro",
  loyaltyPoints: 120,
  tags: ["a", "b"],
  nested: { deep: [1, null, true] },
  removed: undefined,
};
const consent: OptIn = "OPTOUT";
const preferences: Preferences = {
  emailOptin: consent,
  smsOptin: false,
  pushOptin: "opt_in",
  webPushOptin: "OPTIN",
  locationOptin: null,
};
const optIn: OptInValue = true;
const json: JsonValue = { list: [1, "two", { three: 3 }] };

const callback: IdentifyCallback = (ok, data) => {
  if (typeof data === "string") {
    console.log(ok, data.toUpperCase());
  } else {
    const code: HerogiErrorCode = data.code;
    console.warn(ok, code, data.message, data.field, data.status);
  }
};

async function identifyForms(): Promise<void> {
  // The externalId first: a string, a number, or null/undefined to keep the positions.
  const full: IdentifyResult = await identify(userId, attributes, custom, preferences, callback);
  await identify(numericId, attributes, custom, preferences);
  await identify(userId, attributes, custom);
  await identify(userId, attributes);
  await identify(userId);
  await identify(null, attributes, custom, preferences, callback);
  await identify(null, { city: "Oslo" }, null, { pushOptin: true }, callback);
  await identify(undefined, attributes);
  await identify(null, null, null, callback);
  await identify(null, null, null, null, callback);

  // The callback after any argument.
  await identify(userId, attributes, custom, callback);
  await identify(userId, attributes, callback);
  await identify(userId, callback);
  await identify(userId, null, callback);

  // No externalId: the attributes first.
  await identify({ city: "Oslo" });
  await identify(attributes, custom, preferences, callback);
  await identify(attributes, custom, preferences);
  await identify(attributes, null, preferences);
  await identify(attributes, custom, callback);
  await identify(attributes, callback);
  await identify(callback);
  await identify();

  // The default export and the misspellings of the platform's old docs.
  await herogi.identify(userId, { firstname: "Ann", firsname: "Ann", firtname: "Ann", lastName: "Lee" });

  // Callbacks written inline, with one parameter or two.
  identify(userId, function (ok, data) {
    if (data instanceof HerogiError) console.warn(ok, data.code, data.message);
    else console.log("hgid", data.length);
  }).catch(() => {});
  identify(userId, (ok) => console.log(ok)).catch(() => {});

  const dropped: DroppedField[] = full.dropped;
  for (const entry of dropped) console.log(entry.field, entry.value, entry.reason);
  console.log(full.hgid.length, sentGender, optIn, json);
}

async function errorHandling(): Promise<void> {
  try {
    await identify(userId);
  } catch (error) {
    if (error instanceof InvalidArgumentError) {
      const code: "INVALID_ARGUMENT" = error.code;
      const field: string = error.field;
      console.log(code, field);
    } else if (error instanceof HttpError) {
      const code: "HTTP_ERROR" | "BAD_RESPONSE" = error.code;
      console.log(code, error.status ?? "no status");
    } else if (error instanceof EnvironmentError) {
      if (error.code === "NOT_IN_BROWSER") console.log("server-side rendering");
      if (error.code === "LOAD_FAILED") console.log(error.cause);
    } else if (error instanceof QueueFullError || error instanceof NetworkError || error instanceof ConfigError) {
      console.log(error.code, error.dropped?.length);
    } else if (error instanceof HerogiError) {
      const code: HerogiErrorCode = error.code;
      console.log(code, error.name, error.message);
    }
  }
  const internalError = new HerogiError("INTERNAL_ERROR", "made by a test", { cause: new Error("inner") });
  const invalid = new InvalidArgumentError("INVALID_ARGUMENT", "bad", { field: "externalId" });
  const http = new HttpError("HTTP_ERROR", "unauthorized", { status: 401 });
  console.log(internalError instanceof Error, invalid.field, http.status);
}

async function otherFunctions(): Promise<void> {
  reset();
  herogi.reset();
  const hgid: string | null = getHgid();
  console.log(hgid ?? "no visitor yet", herogi.getHgid());
  await ready();
  await herogi.ready();
  const readyCallback: ReadyCallback = (ok, error) => {
    if (!ok) console.warn(error?.code);
  };
  ready(readyCallback).catch(() => {});
  ready((ok) => console.log(ok)).catch(() => {});
  const versions: string[] = [version, herogi.version];
  console.log(versions);

  const sdk: Herogi = herogi;
  const fromScriptTag = globalThis.herogi;
  if (fromScriptTag) {
    await fromScriptTag.identify(userId);
    console.log(sdk.version, new fromScriptTag.HerogiError("INTERNAL_ERROR", "x") instanceof Error);
  }
}

const id: ExternalId = 42;
export { errorHandling, id, identifyForms, otherFunctions, settings };
