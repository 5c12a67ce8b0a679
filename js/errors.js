// The error classes of the SDK. Each failure is an instance of HerogiError with a stable `code`;
// the subclass tells the kind, so `error instanceof NetworkError` needs no text matching.

/** Base class of every error the SDK reports. */
export class HerogiError extends Error {
  constructor(code, message, details = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    if (details.field !== undefined) this.field = details.field;
    if (details.status !== undefined) this.status = details.status;
  }
}

/** A call had the wrong shape (INVALID_ARGUMENT); `field` names the argument. */
export class InvalidArgumentError extends HerogiError {}

/** `init` was given settings it cannot use (INVALID_CONFIG); `field` names the setting. */
export class ConfigError extends HerogiError {}

/** The request did not reach the server (NETWORK_ERROR). */
export class NetworkError extends HerogiError {}

/** The server answered with an error status (HTTP_ERROR, `status`) or without an hgid (BAD_RESPONSE). */
export class HttpError extends HerogiError {}

/** The queue of undelivered calls was full and dropped this call (QUEUE_FULL). */
export class QueueFullError extends HerogiError {}

/** The WebAssembly core could not start (LOAD_FAILED), or the SDK runs outside a browser (NOT_IN_BROWSER). */
export class EnvironmentError extends HerogiError {}

// Names are set on the prototypes, because minifying renames the classes themselves.
for (const [ErrorClass, name] of [
  [HerogiError, "HerogiError"],
  [InvalidArgumentError, "InvalidArgumentError"],
  [ConfigError, "ConfigError"],
  [NetworkError, "NetworkError"],
  [HttpError, "HttpError"],
  [QueueFullError, "QueueFullError"],
  [EnvironmentError, "EnvironmentError"],
]) {
  Object.defineProperty(ErrorClass.prototype, "name", { value: name, writable: true, configurable: true });
}

const classes = {
  INVALID_ARGUMENT: InvalidArgumentError,
  INVALID_CONFIG: ConfigError,
  NETWORK_ERROR: NetworkError,
  HTTP_ERROR: HttpError,
  BAD_RESPONSE: HttpError,
  QUEUE_FULL: QueueFullError,
  LOAD_FAILED: EnvironmentError,
  NOT_IN_BROWSER: EnvironmentError,
};

/** Makes the error of `code`; the wasm core calls it for every failure it reports. */
export function makeError(code, message, field, status, cause) {
  const ErrorClass = classes[code] || HerogiError;
  return new ErrorClass(code, message, { field, status, cause });
}
