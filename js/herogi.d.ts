// TypeScript declarations of the herogi ES module. At run time the SDK accepts more spellings
// than these types list, such as attribute keys and opt-in values in any case. The types keep
// the documented spellings, so that a typo fails to compile instead of being dropped at run time.

/** Consent value of an opt-in field, as the SDK sends it. */
export type OptIn = "OPTIN" | "OPTOUT";

type OptInText = OptIn | "OPT-IN" | "OPT-OUT" | "OPT_IN" | "OPT_OUT";

/** An opt-in as a page may give it: `OPTIN`, `opt-in`, `OPT_OUT`, ..., or a boolean (`true` is `OPTIN`). */
export type OptInValue = OptInText | Lowercase<OptInText> | boolean;

/** Gender, as the SDK sends it. */
export type Gender = "MALE" | "FEMALE" | "OTHER";

/** A gender as a page may give it: `MALE`, `male` or `Male`, and so on. */
export type GenderValue = Gender | Lowercase<Gender> | Capitalize<Lowercase<Gender>>;

/** A position in degrees: latitude in [-90, 90], longitude in [-180, 180]. */
export interface GeoLocation {
  latitude: number;
  longitude: number;
}

/** Settings of `init`, in either form. */
export interface HerogiOptions {
  /**
   * API base; `https://stream.herogi.com` by default. It must be `https://`, `http://` on
   * `localhost`, `127.0.0.1` or `[::1]`, or a path on the page's own origin (`/herogi`, for a
   * proxy) when that origin is `https://` or one of those hosts. It is resolved at `init` as
   * `fetch` resolves it, and a user name or password in it is rejected.
   */
  apiUrl?: string | null | undefined;
  /** @deprecated The old script's name of `apiUrl`. */
  proxyUrl?: string | null | undefined;
  /** @deprecated Accepted for the old script's pages and not used. */
  trackingDomain?: string | null | undefined;
  /** Logs what the SDK does to the console. */
  debug?: boolean | null | undefined;
  /** Asks the Geolocation API once at `init`. */
  askLocation?: boolean | null | undefined;
  /** The old script's name of `askLocation`. */
  locationSubscribe?: boolean | null | undefined;
}

/** The first argument of the object form of `init`. */
export interface HerogiSettings extends HerogiOptions {
  appId: string;
  appSecret: string;
}

/** The five consents, in `preferences` (or with the other attributes). */
export interface Preferences {
  emailOptin?: OptInValue | null | undefined;
  smsOptin?: OptInValue | null | undefined;
  pushOptin?: OptInValue | null | undefined;
  webPushOptin?: OptInValue | null | undefined;
  locationOptin?: OptInValue | null | undefined;
}

/**
 * Profile fields. `null` or `undefined` leaves a field out. A value that breaks its field's rule
 * is dropped and reported in the result's `dropped`, and the other fields are still sent.
 */
export interface UserAttributes extends Preferences {
  /** `local@domain.tld`, at most 254 characters. */
  email?: string | null | undefined;
  /** A phone number in E.164 (`+` and 7 to 15 digits); spaces, dashes and brackets are removed. */
  mobileNo?: string | null | undefined;
  firstname?: string | null | undefined;
  /** Same as `firstname`. */
  firstName?: string | null | undefined;
  /** @deprecated A misspelling of `firstname` in the platform's old docs. */
  firsname?: string | null | undefined;
  /** @deprecated A misspelling of `firstname` in the platform's old docs. */
  firtname?: string | null | undefined;
  lastname?: string | null | undefined;
  /** Same as `lastname`. */
  lastName?: string | null | undefined;
  city?: string | null | undefined;
  gender?: GenderValue | null | undefined;
  /** An ISO 639-1 code or a BCP 47 tag (`en-US` is sent as `EN`); the browser's by default. */
  language?: string | null | undefined;
  /** An ISO 3166-1 alpha-2 code (`US`), any case. */
  country?: string | null | undefined;
  /** An IANA zone name (`America/New_York`); the browser's by default. */
  timezone?: string | null | undefined;
  currentLocation?: GeoLocation | null | undefined;
  facebookId?: string | number | null | undefined;
  twitterId?: string | number | null | undefined;
  lineId?: string | number | null | undefined;
}

/** A value JSON can hold. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue | undefined };

/**
 * Site-defined attributes, at most 96 KiB as JSON; the server keeps only the keys the app has
 * defined. A key whose value is `undefined` is left out, as `JSON.stringify` does.
 */
export type CustomAttributes = { readonly [key: string]: JsonValue | undefined };

/** The site's own id of the user: a string or a finite number, not empty, `"undefined"` or `"null"`. */
export type ExternalId = string | number;

/** A value left out of a call because it broke its field's rule. */
export interface DroppedField {
  /** The field's name, or the key as the page wrote it when no field has that name. */
  field: string;
  /** The value as the page gave it. */
  value: unknown;
  /** The reason it was left out, as a phrase that follows the field name. */
  reason: string;
}

/** The outcome of a successful `identify`. */
export interface IdentifyResult {
  /** The platform's id of the visitor, also stored for the next calls. */
  hgid: string;
  /** The values left out of the call. */
  dropped: DroppedField[];
}

/** Stable error codes. */
export type HerogiErrorCode =
  | "INVALID_ARGUMENT"
  | "INVALID_CONFIG"
  | "NETWORK_ERROR"
  | "HTTP_ERROR"
  | "BAD_RESPONSE"
  | "QUEUE_FULL"
  | "LOAD_FAILED"
  | "NOT_IN_BROWSER"
  | "INTERNAL_ERROR";

/** Details of a `HerogiError` besides its code and message. */
export interface HerogiErrorDetails {
  field?: string | undefined;
  status?: number | undefined;
  cause?: unknown;
}

/** Base class of every error the SDK reports; `INTERNAL_ERROR` is a fault inside the SDK. */
export class HerogiError extends Error {
  constructor(code: HerogiErrorCode, message: string, details?: HerogiErrorDetails);
  readonly code: HerogiErrorCode;
  /** The argument or setting at fault, for INVALID_ARGUMENT and INVALID_CONFIG. */
  readonly field?: string;
  /** The HTTP status, for HTTP_ERROR. */
  readonly status?: number;
  /** The values the call left out, as in a successful result. */
  readonly dropped?: DroppedField[];
}

/** A call had the wrong shape (INVALID_ARGUMENT); nothing was sent. */
export class InvalidArgumentError extends HerogiError {
  constructor(code: "INVALID_ARGUMENT", message: string, details?: HerogiErrorDetails);
  readonly code: "INVALID_ARGUMENT";
  /** `externalId`, `userAttributes`, `customAttributes` or `preferences`. */
  readonly field: string;
}

/** `init` was given settings it cannot use (INVALID_CONFIG). */
export class ConfigError extends HerogiError {
  constructor(code: "INVALID_CONFIG", message: string, details?: HerogiErrorDetails);
  readonly code: "INVALID_CONFIG";
}

/** The request did not reach the server (NETWORK_ERROR). */
export class NetworkError extends HerogiError {
  constructor(code: "NETWORK_ERROR", message: string, details?: HerogiErrorDetails);
  readonly code: "NETWORK_ERROR";
}

/** The server returned a final error status (HTTP_ERROR) or a response without an hgid (BAD_RESPONSE). */
export class HttpError extends HerogiError {
  constructor(code: "HTTP_ERROR" | "BAD_RESPONSE", message: string, details?: HerogiErrorDetails);
  readonly code: "HTTP_ERROR" | "BAD_RESPONSE";
}

/** The queue of undelivered calls was full and this call was dropped (QUEUE_FULL). */
export class QueueFullError extends HerogiError {
  constructor(code: "QUEUE_FULL", message: string, details?: HerogiErrorDetails);
  readonly code: "QUEUE_FULL";
}

/** The WebAssembly core could not start (LOAD_FAILED), or the SDK runs outside a browser (NOT_IN_BROWSER). */
export class EnvironmentError extends HerogiError {
  constructor(code: "LOAD_FAILED" | "NOT_IN_BROWSER", message: string, details?: HerogiErrorDetails);
  readonly code: "LOAD_FAILED" | "NOT_IN_BROWSER";
}

/**
 * Called once with the outcome of `identify`: `(true, hgid)` or `(false, error)`. Narrow `data`
 * with `typeof data === "string"` or `data instanceof HerogiError`.
 */
export type IdentifyCallback = (ok: boolean, data: string | HerogiError) => void;

/** Called once with the outcome of `ready`: `(true)` or `(false, error)`. */
export type ReadyCallback = (ok: boolean, error?: HerogiError) => void;

/** Configures the SDK: app id, app secret, whether to ask for the location, other settings. */
export function init(
  appId: string,
  appSecret: string,
  askLocation?: boolean | null,
  options?: HerogiOptions | null,
): void;
/** Configures the SDK, in the old script's form: `init({ appId, appSecret, ... }, { locationSubscribe })`. */
export function init(settings: HerogiSettings, options?: HerogiOptions | null): void;

// The forms of identify. `null` or `undefined` in the place of the externalId keeps the
// positions; a plain object first means there is no externalId. The callback may follow any
// argument, and arguments after it are ignored at run time, so the types allow none.

/** Sends the visitor's profile. Resolves to `{ hgid, dropped }`; rejects with a `HerogiError`. */
export function identify(
  externalId: ExternalId | null | undefined,
  userAttributes?: UserAttributes | null,
  customAttributes?: CustomAttributes | null,
  preferences?: Preferences | null,
  callback?: IdentifyCallback,
): Promise<IdentifyResult>;
export function identify(
  externalId: ExternalId | null | undefined,
  userAttributes: UserAttributes | null | undefined,
  customAttributes: CustomAttributes | null | undefined,
  callback: IdentifyCallback,
): Promise<IdentifyResult>;
export function identify(
  externalId: ExternalId | null | undefined,
  userAttributes: UserAttributes | null | undefined,
  callback: IdentifyCallback,
): Promise<IdentifyResult>;
export function identify(externalId: ExternalId | null | undefined, callback: IdentifyCallback): Promise<IdentifyResult>;
/** Sends the profile of a visitor without an externalId: the attributes come first. */
export function identify(
  userAttributes: UserAttributes,
  customAttributes?: CustomAttributes | null,
  preferences?: Preferences | null,
  callback?: IdentifyCallback,
): Promise<IdentifyResult>;
export function identify(
  userAttributes: UserAttributes,
  customAttributes: CustomAttributes | null | undefined,
  callback: IdentifyCallback,
): Promise<IdentifyResult>;
export function identify(userAttributes: UserAttributes, callback: IdentifyCallback): Promise<IdentifyResult>;
export function identify(callback?: IdentifyCallback): Promise<IdentifyResult>;

/** Forgets the visitor (logout on a shared computer): the next call starts a new visitor. */
export function reset(): void;

/** Returns the visitor's hgid, or null before the SDK is ready or has one. */
export function getHgid(): string | null;

/**
 * Returns a Promise that resolves once the core is loaded and `init` has succeeded. It rejects
 * with an `EnvironmentError` when the core cannot start or the SDK runs outside a browser.
 */
export function ready(callback?: ReadyCallback): Promise<void>;

/** The SDK's version. */
export const version: string;

/** The default export: the SDK's functions on one object. */
export interface Herogi {
  readonly init: typeof init;
  readonly identify: typeof identify;
  readonly reset: typeof reset;
  readonly getHgid: typeof getHgid;
  readonly ready: typeof ready;
  readonly version: string;
}

/**
 * The global `herogi` that `herogi.min.js` defines for script tags. A TypeScript page that loads
 * the script declares it with `declare global { var herogi: import("herogi").HerogiGlobal }`.
 */
export interface HerogiGlobal extends Herogi {
  readonly HerogiError: typeof HerogiError;
  readonly InvalidArgumentError: typeof InvalidArgumentError;
  readonly ConfigError: typeof ConfigError;
  readonly NetworkError: typeof NetworkError;
  readonly HttpError: typeof HttpError;
  readonly QueueFullError: typeof QueueFullError;
  readonly EnvironmentError: typeof EnvironmentError;
}

declare const herogi: Herogi;
export default herogi;
