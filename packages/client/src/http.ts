import { CredkitApiError, parseRetryAfter } from "./errors.js";
import {
  type RetryOptions,
  type RetryPolicy,
  retryableStatus,
  retryDelay,
  retryPolicy,
  sleep,
} from "./retry.js";

/** Options every call takes. */
export interface CallOptions {
  /** Aborts the call (retries and backoff waits included); it rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Deadline for the whole call, retries included; CredkitApiError code TIMEOUT when it passes. */
  timeoutMs?: number;
  /** This call's retry policy instead of the client's; `false` turns retries off. */
  retry?: RetryOptions | false;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

/** What one request needs to know about the server. */
export interface Transport {
  fetch: typeof fetch;
  /** Where the paths start, without a trailing slash, e.g. `https://credkit.internal/api`. */
  baseUrl: string;
  headers: Record<string, string>;
  timeoutMs: number | undefined;
  retry: RetryPolicy;
}

/** One HTTP request of the client. */
export interface RequestSpec {
  method: string;
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
}

const timeoutReason = Symbol("credkit client timeout");

// What an HTTP header value may hold (RFC 9110 field-value: tab, space, visible ASCII, obs-text).
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * INVALID_REQUEST naming the first header whose value HTTP cannot carry (a line break inside a token,
 * say), never the value: fetch's own TypeError quotes the whole value, a secret.
 */
function unsendableHeader(headers: Record<string, string>): CredkitApiError | null {
  // fetch strips surrounding whitespace itself (a token's trailing newline is fine): only the rest counts.
  const name = Object.keys(headers).find(
    (n) => !HEADER_VALUE.test((headers[n] as string).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "")),
  );
  if (name === undefined) return null;
  const message =
    "holds a character HTTP cannot carry (a line break, another control character, or one above U+00FF); the value is not shown";
  return new CredkitApiError(0, {
    code: "INVALID_REQUEST",
    message: `The ${name} header ${message}`,
    errors: [{ path: `headers.${name}`, message }],
  });
}

/**
 * Sends `spec`, retrying 429 and 503 per the policy (Retry-After honoured), under the call's signal and
 * deadline; `read` turns the final Response into the result while the deadline still holds.
 */
export async function send<T>(
  transport: Transport,
  spec: RequestSpec,
  options: CallOptions,
  read: (res: Response) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const userSignal = options.signal;
  const onUserAbort = () => controller.abort(userSignal?.reason);
  if (userSignal?.aborted) throw userSignal.reason;
  userSignal?.addEventListener("abort", onUserAbort, { once: true });
  const timeoutMs = options.timeoutMs ?? transport.timeoutMs;
  const timer =
    timeoutMs === undefined ? undefined : setTimeout(() => controller.abort(timeoutReason), timeoutMs);
  const policy = options.retry === undefined ? transport.retry : retryPolicy(options.retry);
  // Host and port only: the URL's user part or query could hold a secret.
  let host = "the server";
  const failure = (error: unknown) => {
    if (controller.signal.reason === timeoutReason) {
      return new CredkitApiError(0, {
        code: "TIMEOUT",
        message: `No answer from ${host} within ${timeoutMs} ms`,
      });
    }
    if (userSignal?.aborted) return userSignal.reason;
    return new CredkitApiError(
      0,
      { code: "NETWORK_ERROR", message: `Could not reach ${host} (${networkCause(error)})` },
      { cause: error },
    );
  };
  try {
    const url = new URL(`${transport.baseUrl}${spec.path}`);
    host = url.host;
    for (const [name, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, value);
    }
    const headers: Record<string, string> = {
      Accept: "application/json",
      ...transport.headers,
      ...(spec.body === undefined ? {} : { "Content-Type": "application/json" }),
      ...spec.headers,
      ...options.headers,
    };
    const unsendable = unsendableHeader(headers);
    if (unsendable) throw unsendable;
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await transport.fetch(url, {
          method: spec.method,
          headers,
          ...(body === undefined ? {} : { body }),
          signal: controller.signal,
        });
      } catch (error) {
        throw failure(error);
      }
      if (retryableStatus(res.status)) {
        const delay = retryDelay(policy, attempt, parseRetryAfter(res.headers.get("retry-after")));
        if (delay !== null) {
          await res.body?.cancel().catch(() => undefined);
          try {
            await sleep(delay, controller.signal);
          } catch (error) {
            throw failure(error);
          }
          continue;
        }
      }
      try {
        return await read(res);
      } catch (error) {
        if (error instanceof CredkitApiError || !controller.signal.aborted) throw error;
        throw failure(error);
      }
    }
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    userSignal?.removeEventListener("abort", onUserAbort);
  }
}

/**
 * Why a request got no answer, as a code (`ECONNREFUSED`, `ENOTFOUND`, `UND_ERR_CONNECT_TIMEOUT`,
 * `CERT_HAS_EXPIRED`): fetch's own error only says "fetch failed"; the reason is in its cause.
 */
function networkCause(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 5; depth++) {
    const { cause, code, errors } = (current ?? {}) as {
      cause?: unknown;
      code?: unknown;
      errors?: unknown[];
    };
    if (typeof code === "string") return code;
    // A connect attempt to several addresses (AggregateError) carries the codes in its errors.
    const inner = (errors?.[0] as { code?: unknown } | undefined)?.code;
    if (typeof inner === "string") return inner;
    if (cause === undefined) break;
    current = cause;
  }
  const { name, message } = (current ?? {}) as { name?: unknown; message?: unknown };
  if (typeof name === "string" && name !== "Error" && name !== "TypeError") return name;
  // fetch's own refusals ("bad port") are plain words; anything longer could quote a header or URL.
  return typeof message === "string" && /^[A-Za-z ]{1,40}$/.test(message) ? message : "no answer";
}

/** The error an answer other than 2xx stands for (its body read as the documented error shape). */
export async function errorOf(res: Response): Promise<CredkitApiError> {
  const text = await res.text();
  let body: { message?: string; code?: string; errors?: { path: string; message: string }[] } = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === "object") body = parsed as typeof body;
  } catch {
    // Not the documented shape (a proxy's HTML error page, say): status alone then.
  }
  return new CredkitApiError(res.status, body, {
    retryAfterSeconds: parseRetryAfter(res.headers.get("retry-after")),
  });
}

/** The JSON body of a 2xx answer, else the error it stands for. */
export async function json<T>(res: Response): Promise<T> {
  if (!res.ok) throw await errorOf(res);
  const text = await res.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    // No cause: V8's SyntaxError quotes the text around the fault, and the text may be secret material.
    throw new CredkitApiError(res.status, { code: "INVALID_RESPONSE", message: "The answer is not JSON" });
  }
}
