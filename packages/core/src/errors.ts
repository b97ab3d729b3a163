/**
 * The one error type credkit throws. `code` is stable and machine-readable; the Express layer alone
 * maps codes to HTTP statuses. Messages never contain secret material.
 */
export const errorCodes = [
  "VALIDATION_ERROR",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFLICT",
  "VERSION_CONFLICT",
  "PAYLOAD_TOO_LARGE",
  "UNSUPPORTED_MEDIA_TYPE",
  "RATE_LIMITED",
  "STORAGE_UNAVAILABLE",
  "REQUEST_TIMEOUT",
  "OUTBOUND_REFUSED",
  "UPSTREAM_ERROR",
  "REAUTHORIZATION_REQUIRED",
  "CREDENTIAL_EXPIRED",
  "AUTHORIZATION_FAILED",
  "DECRYPTION_FAILED",
  "UNKNOWN_KEY",
  "CONFIGURATION_ERROR",
  "INTERNAL",
] as const;

/** A stable UPPER_SNAKE error code. */
export type ErrorCode = (typeof errorCodes)[number];

/** One field-level problem: `path` is dotted (`secret.keyValue`), `message` says what is allowed. */
export interface FieldError {
  path: string;
  message: string;
}

/** Options of a {@link CredkitError}. */
export interface CredkitErrorOptions {
  errors?: FieldError[];
  cause?: unknown;
  /** Seconds the caller should wait before retrying (STORAGE_UNAVAILABLE, RATE_LIMITED). */
  retryAfterSeconds?: number;
  /** For UPSTREAM_ERROR: the class of the failure, see {@link CredkitError.upstreamClass}. */
  upstreamClass?: string;
}

/** The base (and only) error class of credkit. */
export class CredkitError extends Error {
  override readonly name = "CredkitError";
  readonly code: ErrorCode;
  readonly errors: FieldError[] | undefined;
  readonly retryAfterSeconds: number | undefined;
  /**
   * For UPSTREAM_ERROR: what kind of failure it was, never the upstream's body: `http_4xx`/`http_5xx`,
   * the OAuth `error` code the endpoint sent, `invalid_response`, `timeout` or `network`
   * (`oauth.refresh_failed` reports it as its `errorClass`). Set where the failure is raised, so nothing
   * reads it back from the message's wording.
   */
  readonly upstreamClass: string | undefined;

  constructor(code: ErrorCode, message: string, options: CredkitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.errors = options.errors;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.upstreamClass = options.upstreamClass;
  }
}

const knownCodes: ReadonlySet<string> = new Set(errorCodes);

/**
 * True when `error` is a {@link CredkitError}, optionally with the given code. Recognised by its name
 * and a known code, not `instanceof`: an error thrown by another copy of `@credkit/core` (two versions
 * installed side by side, a custom store built against its own copy) is still recognised, so a
 * compare-and-set retry or an HTTP status never silently depends on which copy threw.
 */
export function isCredkitError(error: unknown, code?: ErrorCode): error is CredkitError {
  if (typeof error !== "object" || error === null) return false;
  const { name, code: actual } = error as { name?: unknown; code?: unknown };
  return (
    name === "CredkitError" &&
    typeof actual === "string" &&
    (code === undefined ? knownCodes.has(actual) : actual === code)
  );
}

/**
 * Wraps an adapter failure as STORAGE_UNAVAILABLE, keeping the original as `cause`. A CredkitError
 * (a conflict, say) passes through untouched: it is an answer, not an outage.
 */
export function storageUnavailable(storeName: string, cause: unknown): CredkitError {
  if (isCredkitError(cause)) return cause;
  return new CredkitError("STORAGE_UNAVAILABLE", `The ${storeName} store is unavailable`, {
    cause,
    retryAfterSeconds: 1,
  });
}
