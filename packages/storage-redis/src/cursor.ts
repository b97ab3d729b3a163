import { CredkitError } from "@credkit/core";

/** Where a list walk resumes: after credential id `a`. */
export interface ListPosition {
  a: string;
}

/** Where a scan walk resumes: in client `c`, after credential id `a` (null = from its first id). */
export interface ScanPosition {
  c: string;
  a: string | null;
}

/** Encodes a position as an opaque cursor: base64url of versioned JSON. */
export function encodeCursor(kind: "list" | "scan", position: ListPosition | ScanPosition): string {
  return Buffer.from(JSON.stringify({ v: 1, k: kind, ...position }), "utf8").toString("base64url");
}

function invalid(): CredkitError {
  return new CredkitError("VALIDATION_ERROR", "The cursor is not valid", {
    errors: [{ path: "cursor", message: "Pass back a cursor this store returned, unchanged" }],
  });
}

function decode(cursor: string, kind: "list" | "scan"): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  if (typeof parsed !== "object" || parsed === null) throw invalid();
  const value = parsed as Record<string, unknown>;
  if (value.v !== 1 || value.k !== kind) throw invalid();
  return value;
}

/** Decodes a list cursor; throws `VALIDATION_ERROR` for anything this store did not produce. */
export function decodeListCursor(cursor: string): ListPosition {
  const value = decode(cursor, "list");
  if (typeof value.a !== "string") throw invalid();
  return { a: value.a };
}

/** Decodes a scan cursor; throws `VALIDATION_ERROR` for anything this store did not produce. */
export function decodeScanCursor(cursor: string): ScanPosition {
  const value = decode(cursor, "scan");
  if (typeof value.c !== "string" || (value.a !== null && typeof value.a !== "string")) throw invalid();
  return { c: value.c, a: value.a };
}
