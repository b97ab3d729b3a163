import type * as z from "zod";
import { CredkitError, type FieldError } from "../errors.js";
import { checkJsonBounds } from "./json-bounds.js";
import { protoKeyPath } from "./proto-keys.js";

/** Dotted path of a zod issue, prefixed (`secret.keyValue`); `body` for the root. */
function pathOf(prefix: readonly PropertyKey[], path: readonly PropertyKey[]): string {
  const joined = [...prefix, ...path].map(String).join(".");
  return joined === "" ? "body" : joined;
}

// Per-parse messages that name what is wrong without ever echoing the input (it may be a secret).
const errorMap: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === "invalid_type") {
    if (issue.input === undefined) return "is required";
    return `must be ${issue.expected === "object" ? "an object" : `a ${issue.expected}`}`;
  }
  if (issue.code === "unrecognized_keys") {
    return `unknown field${issue.keys.length > 1 ? "s" : ""}: ${issue.keys.join(", ")}`;
  }
  if (issue.code === "invalid_value") {
    return `must be one of: ${issue.values.map((v) => String(v)).join(", ")}`;
  }
  return undefined;
};

/**
 * Parses `input` with `schema`; on failure throws VALIDATION_ERROR listing every field at fault
 * (`errors: [{ path, message }]`), its message naming the first one. Input values are never echoed.
 * Input nested too deep or too big is refused first, before zod or anything else recurses into it.
 */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  input: unknown,
  prefix: readonly PropertyKey[] = [],
): z.output<S> {
  const tooBig = checkJsonBounds(input, undefined, prefix.map(String));
  if (tooBig) throw invalid([tooBig]);
  const proto = protoKeyPath(input);
  if (proto) throw invalid([{ path: pathOf(prefix, proto), message: "is not an accepted name" }]);
  const result = schema.safeParse(input, { error: errorMap, reportInput: false });
  if (result.success) return result.data;
  const errors: FieldError[] = result.error.issues.map((issue) => ({
    path: pathOf(prefix, issue.path),
    message: issue.message,
  }));
  throw invalid(errors);
}

/** A VALIDATION_ERROR for the given field errors. */
export function invalid(errors: FieldError[]): CredkitError {
  const first = errors[0];
  const summary = first ? `${first.path} ${first.message}` : "invalid input";
  return new CredkitError("VALIDATION_ERROR", `Invalid request: ${summary}`, { errors });
}
