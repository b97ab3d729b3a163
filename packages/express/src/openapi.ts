import * as z from "zod";
import { errorResponse, type Operation, operations } from "./operations.js";

/** Options of {@link buildOpenApiDocument}. */
export interface OpenApiOptions {
  /** Where the router is mounted, e.g. `/api`. */
  basePath: string;
  title?: string;
  version?: string;
}

const errorStatuses: Record<string, string> = {
  "400": "Invalid input; `errors` names each field at fault",
  "401": "Missing or unknown token",
  "403": "The token may not access this client",
  "404": "No such credential for this client",
  "409":
    "Conflict: a proxy credential with the same secret exists (CONFLICT), or an oauth2 credential must be authorized again (REAUTHORIZATION_REQUIRED)",
  "412": "If-Match did not match the current version",
  "413": "Body larger than the limit",
  "415": "Body is not JSON",
  "429": "Too many requests (when the host app rate-limits); retry after Retry-After seconds",
  "500":
    "Unexpected server error (e.g. a record that no configured key can decrypt); the message says no more",
  "502": "A token endpoint failed or was refused by the outbound policy (UPSTREAM_ERROR, OUTBOUND_REFUSED)",
  "503": "Storage unreachable; retry after Retry-After seconds",
};

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
    })),
    ...(op.body
      ? {
          requestBody: {
            required: true,
            content: { "application/json": { schema: jsonSchema(op.body, "input") } },
          },
        }
      : {}),
    responses: {
      [String(op.status)]: {
        description: "Success",
        content: {
          [op.responseType ?? "application/json"]: { schema: jsonSchema(op.response, "output") },
          ...(op.jsonResponse
            ? { "application/json": { schema: jsonSchema(op.jsonResponse, "output") } }
            : {}),
        },
      },
      ...Object.fromEntries(
        Object.entries(errorStatuses).map(([status, description]) => [
          status,
          {
            description,
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
