import { describe, expect, it } from "vitest";
import { duplicateLookup, notFound } from "../src/records/not-found.js";
import { storedRecord } from "./stored-record.js";

// The id is echoed only when it is a well-formed credential id of at most 128 characters: a path
// segment of any length and content never comes back in an error.
const id = (regionLength: number) => `${"a".repeat(regionLength)}.${"B".repeat(22)}`;

describe("notFound", () => {
  it("names a well-formed id of up to 128 characters, and nothing else", () => {
    expect(id(105)).toHaveLength(128);
    const shown = notFound(id(105));
    expect(shown).toMatchObject({ code: "NOT_FOUND" });
    expect(shown.message).toContain(`"${id(105)}"`);
    expect(id(106)).toHaveLength(129);
    for (const hidden of [id(106), "eu-west-1.short", "<script>", ""]) {
      const error = notFound(hidden);
      expect(error).toMatchObject({ code: "NOT_FOUND" });
      expect(error.message, hidden).toBe("Credential was not found for this client");
    }
  });
});

describe("duplicateLookup", () => {
  it("is a CONFLICT naming what is duplicated, keeping its cause when given one", () => {
    const apiKey = duplicateLookup(storedRecord());
    expect(apiKey).toMatchObject({ code: "CONFLICT" });
    expect(apiKey.message).toContain("same secret");
    expect("cause" in apiKey).toBe(false);
    const cause = new Error("store said conflict");
    const jwt = duplicateLookup(storedRecord({ authType: "jwtVerify" }), cause);
    expect(jwt).toMatchObject({ code: "CONFLICT" });
    expect(jwt.message).toContain("issuer");
    expect(jwt.cause).toBe(cause);
  });
});
