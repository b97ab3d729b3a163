import { describe, expect, it } from "vitest";
import { condition, namesIn, num, str, valuesIn } from "../src/expression.js";

// Every placeholder the store's expressions may use, and the attribute each one stands for.
const everyName = {
  "#pk": "pk",
  "#sk": "sk",
  "#v": "version",
  "#exp": "expiresAt",
  "#lh": "lookupHash",
  "#tmp": "temporary",
  "#cid": "credentialId",
  "#owner": "owner",
  "#ttl": "ttl",
  "#n": "count",
  "#data": "data",
  "#due": "due",
  "#entries": "entries",
  "#ids": "ids",
  "#pending": "pending",
};

describe("expression placeholders", () => {
  it("names exactly the attributes the expressions use, each under its placeholder", () => {
    expect(namesIn(Object.keys(everyName).join(" AND "))).toStrictEqual(everyName);
    expect(namesIn("#pk = :pk", undefined, "SET #v = :v, #exp = :exp REMOVE #pk")).toStrictEqual({
      "#pk": "pk",
      "#v": "version",
      "#exp": "expiresAt",
    });
    expect(namesIn("size(#ids) = :zero")).toStrictEqual({ "#ids": "ids" });
    expect(namesIn()).toStrictEqual({});
    expect(namesIn(undefined, ":now")).toStrictEqual({});
  });

  it("refuses a placeholder it has no attribute for, whole or in part", () => {
    expect(() => namesIn("#pk = :pk", "#nope = :x")).toThrow("Unknown attribute placeholder #nope");
    // `#pkx` is not `#pk` followed by text: the whole word is the placeholder.
    expect(() => namesIn("#pkx = :pk")).toThrow("#pkx");
  });

  it("takes exactly the values the expressions use, and none at all as undefined", () => {
    const values = { ":now": num(5), ":owner": str("o"), ":unused": num(1) };
    expect(valuesIn(values, "#owner = :owner", undefined, "#exp > :now")).toStrictEqual({
      ":owner": { S: "o" },
      ":now": { N: "5" },
    });
    expect(valuesIn(values, "attribute_not_exists(#pk)")).toBeUndefined();
    expect(valuesIn(values)).toBeUndefined();
    expect(() => valuesIn(values, "#exp > :later")).toThrow("No value for :later");
    expect(() => valuesIn(values, "#exp > :nowx")).toThrow(":nowx");
  });

  it("builds a condition's three parameters from the expression alone", () => {
    expect(
      condition("#owner = :owner AND #exp > :now", { ":now": num(2), ":owner": str("a"), ":x": num(3) }),
    ).toStrictEqual({
      ConditionExpression: "#owner = :owner AND #exp > :now",
      ExpressionAttributeNames: { "#owner": "owner", "#exp": "expiresAt" },
      ExpressionAttributeValues: { ":owner": { S: "a" }, ":now": { N: "2" } },
    });
    expect(condition("attribute_not_exists(#pk)", {})).toStrictEqual({
      ConditionExpression: "attribute_not_exists(#pk)",
      ExpressionAttributeNames: { "#pk": "pk" },
      ExpressionAttributeValues: undefined,
    });
  });

  it("writes numbers and strings in the SDK's attribute-value form", () => {
    expect(num(1.5)).toStrictEqual({ N: "1.5" });
    expect(num(-1)).toStrictEqual({ N: "-1" });
    expect(str("")).toStrictEqual({ S: "" });
  });
});
