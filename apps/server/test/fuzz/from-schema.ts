// Arbitraries read off a JSON Schema (the OpenAPI document's request schemas, generated from zod): the
// fuzz follows the schemas as they change, without a hand-written copy of them.
import * as fc from "fast-check";

/** The part of JSON Schema 2020-12 that zod's generator emits for request bodies. */
export interface JsonSchema {
  type?: string;
  const?: unknown;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
}

// Long enough to cross every boundary the schemas set below 100, short enough to keep runs quick.
const longest = 80;

function stringFrom(schema: JsonSchema): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0;
  const max = Math.max(min, Math.min(schema.maxLength ?? longest, longest));
  const patterns = [schema.pattern, ...(schema.allOf ?? []).map((s) => s.pattern)]
    .filter((p): p is string => p !== undefined)
    .map((p) => new RegExp(p));
  if (schema.format === "uri") return fc.webUrl({ withQueryParameters: true });
  // fast-check generates from most patterns but not from lookarounds (e.g. "no surrounding
  // whitespace"): those are left to the filter below.
  const generated = patterns.flatMap((p) => {
    try {
      return [fc.stringMatching(p)];
    } catch {
      return [];
    }
  });
  const base = generated.at(-1) ?? fc.string({ unit: "grapheme", minLength: min, maxLength: max });
  // Mostly valid values; the filter keeps the length and every other pattern the schema asks for.
  return base.filter(
    (s) => s.length >= min && s.length <= (schema.maxLength ?? Infinity) && patterns.every((p) => p.test(s)),
  );
}

/** Values valid for `schema` (filters permitting), for the keywords listed in {@link JsonSchema}. */
export function fromSchema(schema: JsonSchema): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) {
    const { anyOf: _a, oneOf: _o, ...rest } = schema;
    return fc.oneof(...branches.map((branch) => fromSchema({ ...rest, ...branch })));
  }
  switch (schema.type) {
    case "string":
      return stringFrom(schema);
    case "integer":
      return fc.integer({
        min: Math.max(schema.minimum ?? -1e6, -1e6),
        max: Math.min(schema.maximum ?? 1e6, 1e6),
      });
    case "number":
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true });
    case "boolean":
      return fc.boolean();
    case "array":
      return fc.array(schema.items ? fromSchema(schema.items) : fc.jsonValue({ maxDepth: 1 }), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 4, 4)),
      });
    case "object": {
      if (schema.properties) {
        const properties = Object.fromEntries(
          Object.entries(schema.properties).map(([name, child]) => [name, fromSchema(child)]),
        );
        return fc.record(properties, { requiredKeys: schema.required ?? [] });
      }
      const values = typeof schema.additionalProperties === "object" ? schema.additionalProperties : {};
      const keys = schema.propertyNames
        ? stringFrom({ type: "string", ...schema.propertyNames })
        : fc.string();
      return fc.dictionary(keys, fromSchema(values), { maxKeys: 4 });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}
