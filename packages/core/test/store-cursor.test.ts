import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor, invalidCursor, MAX_CURSOR_LENGTH } from "../src/records/store-cursor.js";

// The cursor codec alone (defineCredentialStore's use of it is in define-store.test.ts).
const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64url");

/** The refusal decodeCursor throws: VALIDATION_ERROR naming `cursor`. */
const refusal = { code: "VALIDATION_ERROR", errors: [{ path: "cursor" }] };

/** What `decode` threw (undefined when it returned). */
function thrownBy(decode: () => unknown): unknown {
  try {
    decode();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("the cursor codec", () => {
  it("is base64url of the JSON array [kind, ...position] (a known answer: cursors outlive a deploy)", () => {
    expect(encodeCursor("list", ["eu-west-1.a", "b"])).toBe(b64('["list","eu-west-1.a","b"]'));
    expect(encodeCursor("scan", [])).toBe(b64('["scan"]'));
    expect(decodeCursor("list", b64('["list","eu-west-1.a","b"]'))).toStrictEqual(["eu-west-1.a", "b"]);
    expect(decodeCursor("scan", b64('["scan"]'))).toStrictEqual([]);
    // Strings of any content survive the round trip.
    const odd = ["", 'é\u0000"]', "x".repeat(100)];
    expect(decodeCursor("list", encodeCursor("list", odd))).toStrictEqual(odd);
  });

  it("refuses what it did not make: each check on its own", () => {
    const refused: unknown[] = [
      "", // empty
      7, // not a string
      null,
      b64("not json"),
      b64('{"0":"list","length":1}'), // array-like, not an array
      b64('"list"'), // a string whose first character is not the kind
      b64('["scan","a"]'), // another walk's cursor
      b64('["list",1]'), // a part that is not a string
      b64('["list","a",null]'),
      b64('[ "list","a"]'), // the same position, written another way
      `${b64('["list","a"]')}=`,
    ];
    for (const cursor of refused)
      expect(
        thrownBy(() => decodeCursor("list", cursor as string)),
        JSON.stringify(cursor),
      ).toMatchObject(refusal);
  });

  it(`takes a cursor of ${MAX_CURSOR_LENGTH} characters, and refuses one longer`, () => {
    expect(MAX_CURSOR_LENGTH).toBe(4096);
    const atCap = encodeCursor("list", ["x".repeat(3061)]);
    expect(atCap).toHaveLength(MAX_CURSOR_LENGTH);
    expect(decodeCursor("list", atCap)).toStrictEqual(["x".repeat(3061)]);
    const over = encodeCursor("list", ["x".repeat(3062)]);
    expect(over).toHaveLength(MAX_CURSOR_LENGTH + 2); // the shortest past the cap (no base64 is 4097 long)
    expect(thrownBy(() => decodeCursor("list", over))).toMatchObject(refusal);
  });

  it("keeps the cause of a refusal only when there is one", () => {
    expect(invalidCursor()).toMatchObject(refusal);
    expect("cause" in invalidCursor()).toBe(false);
    const cause = new Error("driver choked");
    expect(invalidCursor(cause).cause).toBe(cause);
    expect((thrownBy(() => decodeCursor("list", b64("{"))) as Error).cause).toBeInstanceOf(SyntaxError);
  });
});
