import * as z from "zod";
import { errorStatuses, operationErrors } from "./error-statuses.js";
import { operationExamples } from "./examples.js";
import { errorResponse, type Operation, operations } from "./operations.js";

/** Options of {@link buildOpenApiDocument}. */
export interface OpenApiOptions {
  /** Where the router is mounted, e.g. `/api`. */
  basePath: string;
  title?: string;
  version?: string;
}

// OpenAPI 3.1 speaks JSON Schema 2020-12 natively; the per-schema `$schema` marker is noise there.
function jsonSchema(schema: z.ZodType, io: "input" | "output") {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: "any",
    target: "draft-2020-12",
  });
  return rest;
}

function operationObject(op: Operation) {
  const example = operationExamples[op.operationId];
  // The example answer is JSON: it goes with the JSON media type (the callback's is its Accept: JSON one).
  const jsonExample = { example: example.response };
  return {
    operationId: op.operationId,
    summary: op.summary,
    security: op.public ? [] : [{ token: [] }],
    parameters: op.parameters.map((p) => ({
      name: p.name,
      in: p.in,
      required: p.required,
      description: p.description,
      schema: jsonSchema(p.schema, "input"),
      ...(example.parameters[p.name] === undefined ? {} : { example: example.parameters[p.name] }),
    })),
    ...(op.body
      ? {
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: jsonSchema(op.body, "input"),
                ...(example.body === undefined ? {} : { example: example.body }),
              },
            },
          },
        }
      : {}),
    responses: {
      [String(op.status)]: {
        description: "Success",
        content: {
          [op.responseType ?? "application/json"]: {
            schema: jsonSchema(op.response, "output"),
            ...(op.jsonResponse ? {} : jsonExample),
          },
          ...(op.jsonResponse
            ? { "application/json": { schema: jsonSchema(op.jsonResponse, "output"), ...jsonExample } }
            : {}),
        },
      },
      ...Object.fromEntries(
        operationErrors(op).map((status) => [
          status,
          {
            description: errorStatuses[status],
            content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
          },
        ]),
      ),
    },
  };
}

/** The OpenAPI 3.1 document of the credential API, generated from the zod schemas that validate it. */
export function buildOpenApiDocument(options: OpenApiOptions) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const path = `${options.basePath.replace(/\/$/, "")}${op.path}`;
    paths[path] = { ...paths[path], [op.method]: operationObject(op) };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: options.title ?? "credkit Credentials API",
      version: options.version ?? "1",
      description:
        "Stores API credentials encrypted at rest (AES-256-GCM) and serves their metadata. No response carries a secret, except the resolve route's headers, which only tokens with the resolve scope may call.",
    },
    paths,
    components: {
      securitySchemes: {
        token: {
          type: "apiKey",
          in: "header",
          name: "Authorization",
          description: "The token, raw or as `Bearer <token>`",
        },
      },
      schemas: { Error: jsonSchema(errorResponse, "output") },
    },
  };
}

/** An OpenAPI document as built above. */
export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;
