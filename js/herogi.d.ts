/** Consent value of an opt-in field. */
export type OptIn = "OPTIN" | "OPTOUT";

/** Settings of `init`, in either form. */
export interface HerogiOptions {
  /** API base; `https://stream.herogi.com` by default. `http://` only for localhost. */
  apiUrl?: string;
  /** Old name of `apiUrl`. */
  proxyUrl?: string;
  /** Accepted for the old script's pages and not used. */
  trackingDomain?: string;
  /** Logs what the SDK does to the console. */
  debug?: boolean;
  /** Asks the Geolocation API once at `init`. */
  askLocation?: boolean;
  /** Old name of `askLocation`. */
  locationSubscribe?: boolean;
}

/** The object form of `init`. */
export interface HerogiSettings extends HerogiOptions {
  appId: string;
  appSecret: string;
}

/** Profile fields; keys match case-insensitively. */
export interface UserAttributes {
  email?: string | null;
  mobileNo?: string | null;
  firstname?: string | null;
  lastname?: string | null;
  city?: string | null;
  gender?: "MALE" | "FEMALE" | "OTHER" | Lowercase<"MALE" | "FEMALE" | "OTHER"> | null;
  language?: string | null;
  country?: string | null;
  timezone?: string | null;
  currentLocation?: { latitude: number; longitude: number } | null;
  facebookId?: string | number | null;
  twitterId?: string | number | null;
  lineId?: string | number | null;
  [key: string]: unknown;
}

/** A value JSON can hold. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Site-defined attributes; the server keeps only keys the app has defined. */
export type CustomAttributes = Record<string, JsonValue | undefined>;

type OptInValue = OptIn | "opt-in" | "opt-out" | "OPT-IN" | "OPT-OUT" | "optin" | "optout" | boolean | string;

/** The five consents. */
export interface Preferences {
  emailOptin?: OptInValue | null;
  smsOptin?: OptInValue | null;
  pushOptin?: OptInValue | null;
  webPushOptin?: OptInValue | null;
  locationOptin?: OptInValue | null;
}

/** A value left out of a call because it broke its field's rule. */
export interface DroppedField {
  field: string;
  value: unknown;
  reason: string;
}

/** The outcome of a successful `identify`. */
export interface IdentifyResult {
  hgid: string;
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

/** Base class of every error the SDK reports. */
export class HerogiError extends Error {
  readonly code: HerogiErrorCode;
  /** The argument or field at fault, for INVALID_ARGUMENT and INVALID_CONFIG. */
  readonly field?: string;
  /** The HTTP status, for HTTP_ERROR. */
  readonly status?: number;
  /** The values the call left out, as in a successful result. */
  readonly dropped?: DroppedField[];
}
/** A call had the wrong shape (INVALID_ARGUMENT); nothing was sent. */
export class InvalidArgumentError extends HerogiError {
  readonly code: "INVALID_ARGUMENT";
  readonly field: string;
}
/** `init` was given settings it cannot use (INVALID_CONFIG). */
export class ConfigError extends HerogiError {
  readonly code: "INVALID_CONFIG";
}
/** The request did not reach the server (NETWORK_ERROR). */
export class NetworkError extends HerogiError {
  readonly code: "NETWORK_ERROR";
}
/** The server answered with an error status (HTTP_ERROR) or without an hgid (BAD_RESPONSE). */
export class HttpError extends HerogiError {
  readonly code: "HTTP_ERROR" | "BAD_RESPONSE";
}
/** The queue of undelivered calls was full and this call was dropped (QUEUE_FULL). */
export class QueueFullError extends HerogiError {
  readonly code: "QUEUE_FULL";
}
/** The WebAssembly core could not start (LOAD_FAILED), or there is no browser (NOT_IN_BROWSER). */
export class EnvironmentError extends HerogiError {
  readonly code: "LOAD_FAILED" | "NOT_IN_BROWSER";
}

/** Called once with the outcome: `(true, hgid)` or `(false, error)`. */
export type IdentifyCallback = (ok: boolean, data: string | HerogiError) => void;

export function init(appId: string, appSecret: string, askLocation?: boolean, options?: HerogiOptions): void;
export function init(settings: HerogiSettings, options?: { locationSubscribe?: boolean }): void;

export function identify(
  externalId: string | number | null | undefined,
  userAttributes?: UserAttributes | null,
  customAttributes?: CustomAttributes | null,
  preferences?: Preferences | null,
  callback?: IdentifyCallback,
): Promise<IdentifyResult>;
export function identify(
  userAttributes: UserAttributes,
  customAttributes?: CustomAttributes | null,
  preferences?: Preferences | null,
  callback?: IdentifyCallback,
): Promise<IdentifyResult>;
export function identify(externalId: string | number | null | undefined, callback: IdentifyCallback): Promise<IdentifyResult>;
export function identify(callback?: IdentifyCallback): Promise<IdentifyResult>;

/** Forgets the visitor (logout on a shared computer): the next call starts a new visitor. */
export function reset(): void;

/** Returns the visitor's hgid, or null before the SDK is ready or has one. */
export function getHgid(): string | null;

/** Resolves once the core is loaded and `init` has succeeded. */
export function ready(callback?: (ok: boolean, error?: HerogiError) => void): Promise<void>;

/** The SDK's version. */
export const version: string;

declare const herogi: {
  init: typeof init;
  identify: typeof identify;
  reset: typeof reset;
  getHgid: typeof getHgid;
  ready: typeof ready;
  version: string;
};
export default herogi;
