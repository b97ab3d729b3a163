import { CredkitError } from "@credkit/core";

/** Encodes the position after which the next page starts as an opaque string (base64url of JSON). */
export function encodeCursor(position: readonly string[]): string {
  return Buffer.from(JSON.stringify(position), "utf8").toString("base64url");
}

/** Decodes a cursor made by {@link encodeCursor} holding `length` strings; VALIDATION_ERROR otherwise. */
export function decodeCursor(cursor: string, length: number): string[] {
  try {
    const position: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (
      Array.isArray(position) &&
      position.length === length &&
      position.every((part) => typeof part === "string") &&
      encodeCursor(position) === cursor
    ) {
      return position;
    }
  } catch {
    // Not JSON: reported below like every other malformed cursor.
  }
  throw new CredkitError("VALIDATION_ERROR", "The cursor is not one this store returned", {
    errors: [{ path: "cursor", message: "Pass back a cursor exactly as a previous page returned it" }],
  });
}
