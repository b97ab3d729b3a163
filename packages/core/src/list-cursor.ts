import { decodeCursor, encodeCursor, invalidCursor } from "./records/store-cursor.js";

/** Position of a list walk over several stores: which store, and that store's own cursor. */
export interface ListPosition {
  store: number;
  cursor: string | null;
}

// The service's walk is one more kind of the one cursor codec: ["walk", storeIndex, storeCursor?].
const kind = "walk";

/** Encodes a position as an opaque cursor (the store's own cursor inside it). */
export function encodeListCursor(position: ListPosition): string {
  const store = String(position.store);
  return encodeCursor(kind, position.cursor === null ? [store] : [store, position.cursor]);
}

/** Decodes a cursor made by {@link encodeListCursor}; the one cursor error on anything else. */
export function decodeListCursor(cursor: string, storeCount: number): ListPosition {
  const [store, inner, ...rest] = decodeCursor(kind, cursor);
  const index = Number(store);
  if (
    store !== String(index) ||
    !Number.isInteger(index) ||
    index < 0 ||
    index >= storeCount ||
    rest.length > 0
  )
    throw invalidCursor();
  return { store: index, cursor: inner ?? null };
}
