import type { ServerResponse } from "node:http";
import { CredkitError, type ErrorCode, isCredkitError } from "@credkit/core";
import { sendJson } from "./json-response.js";

/** The HTTP status of each error code: the one place codes become statuses. */
export const statusByCode: Record<ErrorCode, number> = {
  VALIDATION_ERROR: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  VERSION_CONFLICT: 412,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  STORAGE_UNAVAILABLE: 503,
  REQUEST_TIMEOUT: 503,
  OUTBOUND_REFUSED: 502,
  UPSTREAM_ERROR: 502,
  // The credential is fine but not usable in its current state until a person authorizes it again.
  REAUTHORIZATION_REQUIRED: 409,
  // Past its expiresAt: kept (listable, renewable) but refused for every use until an update renews it.
  CREDENTIAL_EXPIRED: 409,
  AUTHORIZATION_FAILED: 400,
  DECRYPTION_FAILED: 500,
  UNKNOWN_KEY: 500,
  CONFIGURATION_ERROR: 500,
  INTERNAL: 500,
};

/** The JSON body of an error answer: `{ message, code, errors? }`. */
export interface ErrorBody {
  message: string;
  code: ErrorCode;
  errors?: { path: string; message: string }[];
}

/**
 * The status and body an error is answered with. 5xx say nothing about internals (the detail goes to
 * the log only), except an outage (503) and an upstream failure (502), whose messages name the failed
 * step (token endpoint status, OAuth error code, refused target) and are built never to hold a secret
 * or a response body.
 */
export function errorAnswer(error: CredkitError): { status: number; body: ErrorBody } {
  const status = statusByCode[error.code];
  const message = status >= 500 && status !== 503 && status !== 502 ? "Internal error" : error.message;
  return {
    status,
    body: { message, code: error.code, ...(error.errors ? { errors: [...error.errors] } : {}) },
  };
}

/**
 * Writes `{ message, code, errors? }` with the status of the error's code (and `Retry-After`), after
 * `headers` (name, value, name, value…; see `sendJson`).
 */
export function sendError(res: ServerResponse, error: CredkitError, headers: readonly string[] = []): void {
  const { status, body } = errorAnswer(error);
  sendJson(
    res,
    status,
    body,
    error.retryAfterSeconds === undefined
      ? headers
      : [...headers, "Retry-After", String(error.retryAfterSeconds)],
  );
}

/** Errors body-parser raises, by its `type` field; their own messages may quote the body, so never used. */
function fromBodyParser(error: { type?: unknown; status?: unknown }): CredkitError | null {
  switch (error.type) {
    case "entity.too.large":
      return new CredkitError("PAYLOAD_TOO_LARGE", "The request body is larger than the limit");
    case "entity.parse.failed":
      return new CredkitError("VALIDATION_ERROR", "The request body is not valid JSON", {
        errors: [{ path: "body", message: "must be valid JSON" }],
      });
    case "encoding.unsupported":
    case "charset.unsupported":
      return new CredkitError("UNSUPPORTED_MEDIA_TYPE", "The request body must be UTF-8 JSON");
    default:
      return typeof error.status === "number" && error.status >= 400 && error.status < 500
        ? new CredkitError("VALIDATION_ERROR", "The request could not be read")
        : null;
  }
}

/**
 * Any thrown value as the error it is answered with: a credkit error as itself, a host body parser's
 * error (a `type` such as `entity.too.large`) as what it means, anything else as a bare INTERNAL.
 */
export function asCredkitError(error: unknown): CredkitError {
  if (isCredkitError(error)) return error;
  return (
    fromBodyParser((error ?? {}) as { type?: unknown; status?: unknown }) ??
    new CredkitError("INTERNAL", "Internal error", { cause: error })
  );
}

/** Hook to observe unexpected (5xx) errors, e.g. to log them; never sees anything the client sees. */
export type ErrorObserver = (error: unknown, status: number) => void;

/**
 * Answers a failed request: known errors map to their status, anything else is a bare 500; 5xx go to
 * `observe`. A request answered already (a request timeout's 503, say) has no one left to answer:
 * the late failure goes to `observe` only. `headers` as {@link sendError}.
 */
export function answerError(
  res: ServerResponse,
  error: unknown,
  observe?: ErrorObserver,
  headers?: readonly string[],
): void {
  if (res.headersSent) {
    observe?.(error, 500);
    return;
  }
  const known = asCredkitError(error);
  const status = statusByCode[known.code];
  if (status >= 500) observe?.(known, status);
  sendError(res, known, headers);
}

/**
 * An Express-style error middleware answering as the credkit handler does (for errors raised by the
 * host app's own routes around it). Typed on `node:http`, so importing it does not load Express.
 */
export function errorHandler(
  observe?: ErrorObserver,
): (error: unknown, req: unknown, res: ServerResponse, next: unknown) => void {
  // Four parameters: Express tells an error middleware by its arity.
  return (error, _req, res, _next) => answerError(res, error, observe);
}
