import { CredkitError } from "../errors.js";

/**
 * The one cursor codec of credkit: every store built by `defineCredentialStore` and the service's walk
 * over several stores encode their positions here, so there is one format, one length cap and one error.
 *
 * A cursor is base64url of the JSON array `[kind, ...position]`: `kind` tells a list cursor from a scan
 * cursor (a cursor of one is refused by the other), `position` is the strings a store resumes after.
 * Decoding re-encodes and compares, so a truncated, padded or edited cursor is refused, never read as
 * some other position (a walk restarted from the beginning would visit records twice).
 */

/** The longest cursor anyone is handed back: anything longer was not made by credkit. */
export const MAX_CURSOR_LENGTH = 4096;

/** Where a walk resumes: the strings its store chose (ids, keys), opaque to everyone else. */
export type StorePosition = readonly string[];

/** The VALIDATION_ERROR (path `cursor`) for a cursor credkit did not make, or made for another walk. */
export function invalidCursor(cause?: unknown): CredkitError {
  return new CredkitError("VALIDATION_ERROR", "The cursor is not valid", {
    errors: [{ path: "cursor", message: "is not a cursor this server returned: pass one back unchanged" }],
    cause, // CredkitError drops an undefined cause
  });
}

/** Encodes `position` of a walk of `kind` as an opaque cursor. */
export function encodeCursor(kind: string, position: StorePosition): string {
  return Buffer.from(JSON.stringify([kind, ...position])).toString("base64url");
}

/** The position in a cursor made by {@link encodeCursor} for `kind`; {@link invalidCursor} otherwise. */
export function decodeCursor(kind: string, cursor: string): StorePosition {
  // An empty cursor is refused by the parse below.
  if (typeof cursor !== "string" || cursor.length > MAX_CURSOR_LENGTH) throw invalidCursor();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch (cause) {
    throw invalidCursor(cause);
  }
  if (
    !Array.isArray(value) ||
    // Stryker disable next-line ConditionalExpression: the re-encoding below starts with `kind`, so another walk's cursor fails it too
    value[0] !== kind ||
    !value.every((part) => typeof part === "string") ||
    encodeCursor(kind, value.slice(1)) !== cursor
  )
    throw invalidCursor();
  return value.slice(1) as string[];
}
