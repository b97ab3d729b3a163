import { invalid } from "./schemas/parse.js";

/** Position of a list walk over several stores: which store, and that store's own cursor. */
export interface ListPosition {
  store: number;
  cursor: string | null;
}

/** Encodes a position as an opaque base64url cursor. */
export function encodeListCursor(position: ListPosition): string {
  return Buffer.from(JSON.stringify([position.store, position.cursor])).toString("base64url");
}

/** Decodes a cursor made by {@link encodeListCursor}; VALIDATION_ERROR on anything else. */
export function decodeListCursor(cursor: string, storeCount: number): ListPosition {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(value) && value.length === 2) {
      const [store, inner] = value as [unknown, unknown];
      if (
        Number.isInteger(store) &&
        (store as number) >= 0 &&
        (store as number) < storeCount &&
        (inner === null || typeof inner === "string")
      ) {
        return { store: store as number, cursor: inner };
      }
    }
  } catch {
    // fall through: any undecodable cursor is the caller's error, reported below
  }
  throw invalid([{ path: "cursor", message: "is not a cursor this server returned" }]);
}
