import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { CredkitError } from "@credkit/core";
import { plainKey } from "./keys.js";

// DynamoDB keys are at most 2 KiB + 1 KiB; anything much longer is not a cursor this store made.
const maxCursorLength = 8192;

/**
 * Encodes DynamoDB's `LastEvaluatedKey` as an opaque cursor: base64url of `{"pk":..,"sk":..}`. Plain
 * strings rather than the SDK's attribute-value JSON keep cursors short and independent of the SDK
 * version, so a saved scan cursor stays valid across restarts and upgrades. Null when there is no key.
 */
export function encodeCursor(lastEvaluatedKey: Record<string, AttributeValue> | undefined): string | null {
  const key = plainKey(lastEvaluatedKey);
  if (key === null) return null;
  return Buffer.from(JSON.stringify({ pk: key.pk, sk: key.sk }), "utf8").toString("base64url");
}

/** Decodes a cursor into an `ExclusiveStartKey`; throws `VALIDATION_ERROR` for anything it did not make. */
export function decodeCursor(cursor: string): { pk: { S: string }; sk: { S: string } } {
  let parsed: unknown;
  try {
    if (cursor.length === 0 || cursor.length > maxCursorLength || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
      throw new Error("not base64url");
    }
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch (cause) {
    throw invalidCursor(cause);
  }
  if (typeof parsed !== "object" || parsed === null) throw invalidCursor();
  const { pk, sk } = parsed as { pk?: unknown; sk?: unknown };
  if (typeof pk !== "string" || typeof sk !== "string" || pk === "" || sk === "") throw invalidCursor();
  return { pk: { S: pk }, sk: { S: sk } };
}

/** The VALIDATION_ERROR a malformed or foreign cursor gets: a client mistake, not an outage. */
export function invalidCursor(cause?: unknown): CredkitError {
  return new CredkitError("VALIDATION_ERROR", "The cursor is not valid", {
    errors: [{ path: "cursor", message: "Pass back a cursor exactly as a previous page returned it" }],
    cause,
  });
}
