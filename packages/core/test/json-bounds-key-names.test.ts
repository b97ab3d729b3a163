import { describe, expect, it } from "vitest";
import { checkJsonBounds } from "../src/schemas/json-bounds.js";

// Key names are data, never part of the walk: a key spelled like a value JavaScript produces when it
// reads past the end of a list ("undefined") is counted once, like any other key.
describe("JSON bounds and key names", () => {
  it('counts the values under a key named "undefined" once, at the bound and one past it', () => {
    const bounds = { maxDepth: 4, maxNodes: 10 };
    // 1 (root) + 1 (the list) + 8 (its items) = 10 values: at the bound.
    expect(checkJsonBounds({ undefined: [1, 2, 3, 4, 5, 6, 7, 8] }, bounds)).toBeNull();
    expect(checkJsonBounds({ undefined: [1, 2, 3, 4, 5, 6, 7, 8, 9] }, bounds)?.message).toMatch(
      /at most 10 values/,
    );
    // Depth is counted once too: root, the object under "undefined", the list in it = 3 of 4 levels.
    expect(checkJsonBounds({ undefined: { undefined: [1] } }, bounds)).toBeNull();
  });
});
