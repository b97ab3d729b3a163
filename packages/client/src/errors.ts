import type { ErrorBody } from "./types.js";

/** Codes the client itself gives when no HTTP answer came back. */
export type ClientErrorCode = "TIMEOUT" | "NETWORK_ERROR" | "INVALID_RESPONSE" | "INVALID_REQUEST";

/**
 * The one error the client throws for an answer it cannot turn into a result: a documented 4xx/5xx
 * (`code` as the server sent it, e.g. `VALIDATION_ERROR`, with `errors[]` naming each field at fault), a
 * timeout, or a network failure (`status` 0). Aborting through your own signal rejects with that
 * signal's reason instead, as `fetch` does.
 */
export class CredkitApiError extends Error {
  override readonly name = "CredkitApiError";
  /** The HTTP status, or 0 when no answer came back. */
  readonly status: number;
  /** The server's UPPER_SNAKE code, or one of {@link ClientErrorCode}. */
  readonly code: string;
  /** Each field at fault, for validation errors. */
  readonly errors: { path: string; message: string }[];
  /** The server's `Retry-After`, in seconds, when it sent one. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    status: number,
    body: Partial<ErrorBody>,
    options: { retryAfterSeconds?: number | undefined; cause?: unknown } = {},
  ) {
    super(body.message ?? `HTTP ${status}`, options.cause === undefined ? {} : { cause: options.cause });
    this.status = status;
    this.code = body.code ?? (status === 0 ? "NETWORK_ERROR" : `HTTP_${status}`);
    this.errors = Array.isArray(body.errors) ? body.errors : [];
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** `Retry-After` as seconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}
