import { isCredkitError } from "@credkit/core";

/**
 * A one-line reason for an error, safe to print: credkit's own message (which never holds secrets) and
 * the cause's code or name (ECONNREFUSED, ResourceNotFoundException), never the cause's message, which
 * could echo a connection string.
 */
export function describeError(error: unknown): string {
  if (!isCredkitError(error)) {
    const name = error instanceof Error ? (codeOf(error) ?? error.name) : "unknown error";
    return `unexpected error (${name})`;
  }
  const cause = error.cause;
  const detail = isCredkitError(cause) ? cause.message : cause instanceof Error ? codeOf(cause) : null;
  // A message built from its cause's description already says it.
  return detail && !error.message.includes(detail) ? `${error.message} (${detail})` : error.message;
}

function codeOf(error: Error): string | null {
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") return code;
  // AggregateError (a connect attempt to several addresses) carries the codes in its errors.
  const inner = (error as { errors?: unknown[] }).errors?.[0];
  if (inner instanceof Error) return codeOf(inner);
  return error.name !== "Error" ? error.name : null;
}
