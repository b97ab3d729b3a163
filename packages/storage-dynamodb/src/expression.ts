import type { AttributeValue } from "@aws-sdk/client-dynamodb";

// Every attribute an expression names goes through a placeholder: several (`data`, `owner`, `ttl`)
// are DynamoDB reserved words, and one rule is easier to review than a list of exceptions.
const attributeNames: Record<string, string> = {
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

/** `ExpressionAttributeNames` for exactly the `#names` the expressions use (DynamoDB rejects unused ones). */
export function namesIn(...expressions: (string | undefined)[]): Record<string, string> {
  const names: Record<string, string> = {};
  for (const expression of expressions) {
    for (const match of expression?.matchAll(/#\w+/g) ?? []) {
      const name = attributeNames[match[0]];
      if (name === undefined) throw new Error(`Unknown attribute placeholder ${match[0]}`);
      names[match[0]] = name;
    }
  }
  return names;
}

/** A number attribute value. */
export function num(value: number): AttributeValue.NMember {
  return { N: String(value) };
}

/** A string attribute value. */
export function str(value: string): AttributeValue.SMember {
  return { S: value };
}

/** Condition: the item exists and has not expired at `:now`. */
export const liveCondition = "attribute_exists(#pk) AND (attribute_not_exists(#exp) OR #exp > :now)";

/** Condition: no item, or one that expired at `:now` and may be replaced (DynamoDB deletes expired items late). */
export const vacantCondition = "attribute_not_exists(#pk) OR #exp <= :now";

/** `ExpressionAttributeValues` for exactly the `:values` the expressions use (DynamoDB rejects unused ones). */
export function valuesIn(
  values: Record<string, AttributeValue>,
  ...expressions: (string | undefined)[]
): Record<string, AttributeValue> | undefined {
  const used: Record<string, AttributeValue> = {};
  for (const expression of expressions) {
    for (const match of expression?.matchAll(/:\w+/g) ?? []) {
      const value = values[match[0]];
      if (value === undefined) throw new Error(`No value for ${match[0]}`);
      used[match[0]] = value;
    }
  }
  return Object.keys(used).length === 0 ? undefined : used;
}

/** The three condition parameters of a write, with only the names and values the condition uses. */
export function condition(expression: string, values: Record<string, AttributeValue>) {
  return {
    ConditionExpression: expression,
    ExpressionAttributeNames: namesIn(expression),
    ExpressionAttributeValues: valuesIn(values, expression),
  };
}
