import { CredkitError, type StoredCredential } from "@credkit/core";

/** The Lua arguments describing a record: what the scripts read besides the opaque JSON. */
export function recordArgs(record: StoredCredential): {
  json: string;
  expiresAt: string;
  lookupHash: string;
  temporary: string;
} {
  return {
    json: JSON.stringify(record),
    // Integer milliseconds: PEXPIREAT rejects fractions, and rounding up never expires a record early.
    expiresAt: record.expiresAt === null ? "" : String(Math.ceil(record.expiresAt)),
    lookupHash: record.lookupHash ?? "",
    temporary: record.temporary ? "1" : "0",
  };
}

/** Parses a stored record JSON; a corrupt value is an internal error, never silently skipped. */
export function parseRecord(json: unknown): StoredCredential {
  if (typeof json !== "string") {
    throw new CredkitError("INTERNAL", "The redis store returned a record that is not a string");
  }
  try {
    return JSON.parse(json) as StoredCredential;
  } catch (cause) {
    throw new CredkitError("INTERNAL", "The redis store holds a record that is not valid JSON", { cause });
  }
}
