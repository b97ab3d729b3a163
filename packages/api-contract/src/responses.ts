import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

/** One HTTP answer as a test received it. */
export interface ObservedResponse {
  method: string;
  /** Path with or without query string, e.g. `/api/clients/acme/credentials?limit=2`. */
  url: string;
  status: number;
  /** The Content-Type header, if any. */
  contentType: string | undefined;
  /** The body as text (empty when there is none). */
  body: string;
}

interface Route {
  template: string;
  method: string;
  pattern: RegExp;
}

type Responses = Record<string, { content?: Record<string, unknown> }>;
type Paths = Record<string, Record<string, { responses?: Responses }>>;

const escapePointer = (segment: string) => segment.replace(/~/g, "~0").replace(/\//g, "~1");

/**
 * Checks answers against an OpenAPI 3.1 document: the status must be documented for the operation, the
 * media type must be one it lists, and the body must match its schema (the generated schemas forbid
 * extra properties, so an undocumented field fails too). Requests outside the document's paths (health
 * checks, metrics) are not its business and pass.
 */
export function responseContract(document: { paths: object }) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema(document, "openapi");
  const routes: Route[] = [];
  for (const [template, methods] of Object.entries(document.paths as Paths)) {
    const source = template
      .split(/\{[^}]+\}/)
      .map((part) => part.replace(/[.*+?^$()|[\]\\]/g, "\\$&"))
      .join("[^/]+");
    for (const method of Object.keys(methods)) {
      routes.push({ template, method, pattern: new RegExp(`^${source}$`) });
    }
  }

  /** What is wrong with `observed` against the document (empty when it conforms). */
  function problems(observed: ObservedResponse): string[] {
    const method = observed.method.toLowerCase();
    const path = observed.url.split("?")[0] ?? "";
    const route = routes.find((r) => r.method === method && r.pattern.test(path));
    if (!route) return [];
    const where = `${observed.method.toUpperCase()} ${path} → ${observed.status}`;
    const responses = (document.paths as Paths)[route.template]?.[route.method]?.responses ?? {};
    const status = String(observed.status);
    const key = [status, `${status[0]}XX`, "default"].find((k) => responses[k]);
    if (!key) return [`${where}: status ${status} is not documented for ${route.method} ${route.template}`];
    const content = responses[key]?.content;
    if (!content) return observed.body === "" ? [] : [`${where}: a body where the document has none`];
    const mediaType = (observed.contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
    if (!(mediaType in content)) {
      return [`${where}: media type "${mediaType}" is not one of ${Object.keys(content).join(", ")}`];
    }
    let body: unknown = observed.body;
    if (mediaType.endsWith("json")) {
      try {
        body = JSON.parse(observed.body);
      } catch {
        return [`${where}: the body is not JSON`];
      }
    }
    const pointer = ["paths", route.template, route.method, "responses", key, "content", mediaType, "schema"]
      .map(escapePointer)
      .join("/");
    const validate = ajv.getSchema(`openapi#/${pointer}`);
    if (!validate) return [`${where}: no schema at ${pointer}`];
    if (validate(body)) return [];
    return (validate.errors ?? []).map(
      (e) => `${where}: body${e.instancePath} ${e.message ?? "is invalid"} ${JSON.stringify(e.params)}`,
    );
  }

  return {
    problems,
    /** Throws an error listing every problem of `observed`, if any. */
    assert(observed: ObservedResponse): void {
      const found = problems(observed);
      if (found.length > 0) throw new Error(`The answer breaks the OpenAPI contract:\n${found.join("\n")}`);
    },
  };
}

/** What {@link responseContract} returns. */
export type ResponseContract = ReturnType<typeof responseContract>;
