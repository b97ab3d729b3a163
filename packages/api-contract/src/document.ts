import { Validator } from "@seriousme/openapi-schema-validator";

/** The problems a maintained OpenAPI validator finds in `document` (empty when it is a valid 3.1 document). */
export async function openApiDocumentProblems(document: object): Promise<string[]> {
  // A fresh validator per call: it keeps the last document it read.
  const validator = new Validator();
  const { valid, errors } = await validator.validate(structuredClone(document) as Record<string, unknown>);
  if (valid) return [];
  if (typeof errors === "string") return [errors];
  return (errors ?? []).map(
    (e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"} ${JSON.stringify(e.params)}`,
  );
}
