import type { IncomingMessage, ServerResponse } from "node:http";
import { parse as parseQuery } from "node:querystring";
import {
  type Actor,
  type AuditSink,
  authorizationFailedEvent,
  type CreateCredentialInput,
  type CredentialService,
  CredkitError,
  type IdempotencyStore,
  isCredkitError,
  isValidClientId,
  parseOrThrow,
  verifyRequestBody,
  type WebhookService,
} from "@credkit/core";
import { preferredType } from "./accepts.js";
import { renderDocsPage } from "./docs-page.js";
import { answerError, type ErrorObserver } from "./http-errors.js";
import {
  type IdempotencyProtection,
  idempotentCreate,
  memoryIdempotencyStore,
  processIdempotencyProtection,
} from "./idempotency.js";
import { sendHtml, sendJson } from "./json-response.js";
import { callbackAnswer, parseCallbackQuery, renderCallbackPage } from "./oauth-callback.js";
import { buildOpenApiDocument } from "./openapi.js";
import { type Operation, operations } from "./operations.js";
import { assertJsonBounds, limitInBytes, readUnwalkedJsonBody } from "./request-body.js";
import { parseCursor, parseIfMatch, parseLimit, parseListFlag } from "./request-params.js";
import { compileRoutes } from "./route-table.js";
import { type Authenticate, defaultUnauthorizedMessage, tokenFromHeader } from "./token-auth.js";

/** Default `bodyLimit` of the handler and the router. */
export const DEFAULT_BODY_LIMIT = "100kb";
/** Default `idempotency.ttlMs`: how long an `Idempotency-Key` is remembered, 24 hours. */
export const DEFAULT_IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/** Options of {@link createCredkitHandler} (and of the Express router, which mounts it). */
export interface CredkitHandlerOptions<Req extends IncomingMessage = IncomingMessage> {
  service: CredentialService;
  /** Who is calling; null → 401. */
  authenticate: Authenticate<Req>;
  /**
   * The message of a 401 when `authenticate` returns null. Default: about the `Authorization` token for
   * a `tokenAuthenticator`, else "The request is not authenticated".
   */
  unauthorizedMessage?: string;
  /**
   * A path prefix the handler strips itself, for hosts that hand it the full URL (bare `node:http`, a
   * Fastify or Hono catch-all): `"/api"` serves `/api/clients/…`. Default none. Under Express, mount it
   * with `app.use("/api", …)` instead: Express strips the mount path.
   */
  prefix?: string;
  /**
   * Where the API is reached, for the OpenAPI document and the docs page only. Default: the Express
   * mount path (`req.baseUrl`), else `prefix`; set it when a proxy in front rewrites the prefix.
   */
  basePath?: string;
  /** Largest accepted JSON body (bytes or a string such as "100kb"). Default "100kb". */
  bodyLimit?: number | string;
  /** Called with unexpected (5xx) errors, e.g. to log them. */
  onError?: ErrorObserver;
  /**
   * Makes `POST …/credentials` with an `Idempotency-Key` header safe to retry (see
   * {@link idempotentCreate}). Default: a per-process store keeping keys 24 hours (`ttlMs`), a claim
   * whose request never finished blocking its key at most 60 seconds (`inProgressMs`: set it a little
   * above your request timeout), protected by a per-process key (a store shared by several processes
   * needs a shared `protection`).
   */
  idempotency?: {
    store: IdempotencyStore;
    ttlMs?: number;
    inProgressMs?: number;
    protection?: IdempotencyProtection;
  };
  /**
   * Receives an `authorization.failed` event (user, client, code, request id; never a token) for every
   * 401 and 403 the handler answers, so refusals reach an audit trail when the API is embedded.
   */
  audit?: AuditSink;
  /**
   * Answer unknown paths (under the prefix) with a JSON 404 instead of passing them on to `next`.
   * Default false: the handler never swallows routes it does not own. Without a `next` (bare
   * `node:http`) an unknown path is always a 404.
   */
  notFound?: boolean;
  /**
   * The webhook subscriptions API (`/clients/{clientId}/webhooks`, see `createWebhookService`).
   * Without it those routes answer 404 "Webhooks are not enabled".
   */
  webhooks?: WebhookService;
}

/**
 * The credential API as one `(req, res, next?)` function over `node:http` requests: Express mounts it
 * as one middleware, `node:http` serves it directly, Fastify and Hono hand it their raw request and
 * response. `next()` is called for a path it does not serve; it never calls `next` with an error (it
 * answers every error itself).
 */
export type CredkitHandler<Req extends IncomingMessage = IncomingMessage> = (
  req: Req,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void;

/** What a matched request hands its operation. */
interface Call<Req> {
  req: Req;
  res: ServerResponse;
  actor: Actor;
  params: Record<string, string>;
  /** The query string (after `?`), parsed by the operations that read one. */
  search: string;
  body: unknown;
}

type Run<Req> = (call: Call<Req>) => Promise<void>;

/** The request's `res.locals` when the host is Express (request id in, actor and route out). */
function localsOf(res: ServerResponse): Record<string, unknown> | undefined {
  return (res as { locals?: Record<string, unknown> }).locals;
}

/**
 * The headers of every answer to an operation, errors included: credential metadata is per-tenant, so
 * no shared cache may keep it (nor the callback's code). Written with the answer, not set on arrival:
 * one `writeHead` per answer (see `sendJson`).
 */
const NO_STORE = ["Cache-Control", "no-store"] as const;

/** Answers an operation's JSON (see {@link NO_STORE}). */
function answerJson(res: ServerResponse, status: number, value: unknown): void {
  sendJson(res, status, value, NO_STORE);
}

function sendCredential(
  res: ServerResponse,
  status: number,
  answer: { credentialVersion: number; authorizationUrl?: string },
) {
  const headers = [...NO_STORE, "ETag", `"${answer.credentialVersion}"`];
  // The usual answer is the view as it came: no copy of it per request.
  if (answer.authorizationUrl === undefined) {
    sendJson(res, status, { credentials: [answer], message: "Success" }, headers);
    return;
  }
  // An authorization-code flow's URL sits beside the credential, not in it: it is not part of its view.
  const { authorizationUrl, ...credential } = answer;
  sendJson(
    res,
    status,
    { credentials: [credential], message: "Success", ...(authorizationUrl ? { authorizationUrl } : {}) },
    headers,
  );
}

/** A query string's parameters (a repeated one as an array). */
const query = (search: string) => parseQuery(search) as Record<string, unknown>;

/** The actor of the token-less callback: it reaches no operation that checks one. */
const NOBODY: Actor = { userId: "", clientIds: [] };

const HTML_POLICY = "default-src 'none'; style-src 'unsafe-inline'";

/**
 * The credential API (the endpoints of `operations`, plus `/openapi.json` and `/docs`) as one
 * precompiled handler: the route table is compiled once, and a request pays for its own route only
 * (authentication once, the body read and bounded once, the operation, one JSON write). Parsing, auth
 * and error mapping happen here; everything else is the service's.
 */
export function createCredkitHandler<Req extends IncomingMessage = IncomingMessage>(
  options: CredkitHandlerOptions<Req>,
): CredkitHandler<Req> {
  const { service } = options;
  const prefix = (options.prefix ?? "").replace(/\/$/, "");
  const maxBody = limitInBytes(options.bodyLimit ?? DEFAULT_BODY_LIMIT);
  const unauthorizedMessage = options.unauthorizedMessage ?? defaultUnauthorizedMessage(options.authenticate);
  const idempotency = {
    store: options.idempotency?.store ?? memoryIdempotencyStore(),
    ttlMs: options.idempotency?.ttlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS,
    inProgressMs: options.idempotency?.inProgressMs ?? 60_000,
    protection: options.idempotency?.protection ?? processIdempotencyProtection(),
  };

  // Built once per base path (a handler mounted twice documents each mount as it is reached).
  const documents = new Map<string, { openApi: ReturnType<typeof buildOpenApiDocument>; page: string }>();
  const documentFor = (basePath: string) => {
    let built = documents.get(basePath);
    if (!built) {
      const openApi = buildOpenApiDocument({ basePath });
      built = { openApi, page: renderDocsPage(openApi, `${basePath.replace(/\/$/, "")}/openapi.json`) };
      // A mount pattern with parameters gives a base path per request: keep a few, never one per caller.
      if (documents.size < 16) documents.set(basePath, built);
    }
    return built;
  };

  const webhooks = (): WebhookService => {
    if (!options.webhooks) throw new CredkitError("NOT_FOUND", "Webhooks are not enabled on this server");
    return options.webhooks;
  };

  const runs: Record<Operation["operationId"], Run<Req>> = {
    async listWebhooks({ res, actor, params }) {
      answerJson(res, 200, {
        webhooks: await webhooks().list(actor, params.clientId as string),
        message: "Success",
      });
    },
    async createWebhook({ res, actor, params, body }) {
      const created = await webhooks().create(actor, params.clientId as string, body);
      answerJson(res, 201, { webhooks: [created], message: "Success" });
    },
    async deleteWebhook({ res, actor, params }) {
      await webhooks().delete(actor, params.clientId as string, params.webhookId as string);
      answerJson(res, 200, { message: "Success" });
    },
    async listFailedDeliveries({ res, actor, params }) {
      const deliveries = await webhooks().failedDeliveries(
        actor,
        params.clientId as string,
        params.webhookId as string,
      );
      answerJson(res, 200, { deliveries, message: "Success" });
    },
    async listCredentials({ res, actor, params, search }) {
      const q = query(search);
      const page = await service.list(actor, params.clientId as string, {
        includeTemporary: parseListFlag("includeTemporary", q.includeTemporary),
        includeExpired: parseListFlag("includeExpired", q.includeExpired),
        limit: parseLimit(q.limit),
        cursor: parseCursor(q.cursor),
      });
      answerJson(res, 200, {
        credentials: page.credentials,
        message: "Success",
        ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
      });
    },
    async createCredential({ req, res, actor, params, body }) {
      const clientId = params.clientId as string;
      // JSON nobody has checked yet: the service validates it (a 400 naming the field) before any write.
      const input = body as CreateCredentialInput;
      const key = req.headers["idempotency-key"];
      if (typeof key !== "string") {
        sendCredential(res, 201, await service.create(actor, clientId, input));
        return;
      }
      // The fingerprint recurses into the body before the service's parse walks it: bounded first.
      assertJsonBounds(body);
      // Scoped to the client and the authenticated caller: its token, raw or `Bearer` alike (only
      // keyed hashes of the scope are kept, never the token).
      const { replayed, result } = await idempotentCreate({
        ...idempotency,
        key,
        scope: `${actor.userId}\n${tokenFromHeader(req.headers.authorization) ?? ""}\n${clientId}`,
        body,
        create: () => service.create(actor, clientId, input),
        replay: (credentialId) => service.get(actor, clientId, credentialId),
      });
      if (replayed) res.setHeader("Idempotent-Replayed", "true");
      sendCredential(res, 201, result as { credentialVersion: number; authorizationUrl?: string });
    },
    // The hot read: not an async function (a frame per request), one step after the service's.
    getCredential: ({ res, actor, params }) =>
      service
        .get(actor, params.clientId as string, params.credentialId as string)
        .then((view) => sendCredential(res, 200, view)),
    async updateCredential({ req, res, actor, params, body }) {
      const ifMatch = parseIfMatch(req.headers["if-match"]);
      const updated = await service.update(
        actor,
        params.clientId as string,
        params.credentialId as string,
        body ?? {},
        ifMatch === undefined ? {} : { ifMatch },
      );
      sendCredential(res, 200, updated);
    },
    async verifyProxyRequest({ res, actor, params, body }) {
      const parsed = parseOrThrow(verifyRequestBody, body);
      const result = await service.verifyProxyRequest(actor, params.clientId as string, parsed);
      answerJson(
        res,
        200,
        result.ok
          ? { allowed: true, credential: result.credential, ...(result.degraded ? { degraded: true } : {}) }
          : { allowed: false, reason: result.reason },
      );
    },
    async deleteCredential({ res, actor, params }) {
      await service.delete(actor, params.clientId as string, params.credentialId as string);
      answerJson(res, 200, { message: "Success" });
    },
    async resolveTargetAuth({ res, actor, params }) {
      // The one route that answers with secret material: the service checks the `resolve` scope.
      answerJson(
        res,
        200,
        await service.resolveTargetAuth(actor, params.clientId as string, params.credentialId as string),
      );
    },
    async invalidateTargetToken({ res, actor, params }) {
      await service.invalidateTargetToken(actor, params.clientId as string, params.credentialId as string);
      answerJson(res, 200, { message: "Success" });
    },
    async completeAuthorization({ req, res, search }) {
      const requestId = localsOf(res)?.requestId;
      const credential = await service.completeAuthorization(
        parseCallbackQuery(query(search)),
        typeof requestId === "string" ? { requestId } : {},
      );
      if (preferredType(req.headers.accept, ["text/html", "application/json"]) === "application/json") {
        answerJson(res, 200, callbackAnswer(credential));
        return;
      }
      res.setHeader("Content-Security-Policy", HTML_POLICY);
      sendHtml(res, 200, renderCallbackPage(credential), NO_STORE);
    },
  };

  type Route = { doc: "openapi" | "docs" } | { op: Operation };
  const match = compileRoutes<Route>([
    { method: "get", path: "/openapi.json", value: { doc: "openapi" } },
    { method: "get", path: "/docs", value: { doc: "docs" } },
    ...operations.map((op) => ({ method: op.method, path: op.path, value: { op } })),
  ]);

  /**
   * Serves a matched route: undefined when answered at once, else the promise of its answer. Throws, or
   * rejects with, what it cannot answer. Plain functions, not one async function: a request that
   * authenticates synchronously (the token authenticator) allocates no async frame of its own.
   */
  function serve(
    route: Route,
    params: Record<string, string>,
    search: string,
    req: Req,
    res: ServerResponse,
    base: string,
  ): Promise<void> | undefined {
    if ("doc" in route) {
      const documents = documentFor(options.basePath ?? base);
      if (route.doc === "openapi") sendJson(res, 200, documents.openApi);
      else {
        res.setHeader("Content-Security-Policy", HTML_POLICY);
        sendHtml(res, 200, documents.page);
      }
      return undefined;
    }
    const { op } = route;
    if (op.public) {
      // The OAuth callback is reached by the end user's browser, without a token; its URL holds the code.
      res.setHeader("Referrer-Policy", "no-referrer");
      return operate(op, NOBODY, params, search, req, res);
    }
    // Authentication comes first, so an anonymous caller learns nothing from body parsing errors.
    // A synchronous authenticator (the token one) is not awaited: no extra tick per request.
    const answered = options.authenticate(req);
    if (typeof (answered as { then?: unknown } | null)?.then === "function")
      return (answered as Promise<Actor | null>).then((found) => admit(found, op, params, search, req, res));
    return admit(answered as Actor | null, op, params, search, req, res);
  }

  /** The authenticated caller becomes the operation's actor; no caller → 401. */
  function admit(
    found: Actor | null,
    op: Operation,
    params: Record<string, string>,
    search: string,
    req: Req,
    res: ServerResponse,
  ): Promise<void> {
    if (!found) throw new CredkitError("UNAUTHORIZED", unauthorizedMessage);
    // A request id the host app set (the bundled server does) follows the actor into audit events.
    const locals = localsOf(res);
    const requestId = locals?.requestId;
    // Copied, then the id set: `{ ...found, requestId }` (a field added after a spread) cost 1.5–3 µs
    // per request on Node 20, a new hidden class each time.
    const actor: Actor = typeof requestId === "string" ? Object.assign({}, found, { requestId }) : found;
    if (locals) locals.actor = actor;
    return operate(op, actor, params, search, req, res);
  }

  /** Reads the body of an operation that takes one, then runs the operation. */
  function operate(
    op: Operation,
    actor: Actor,
    params: Record<string, string>,
    search: string,
    req: Req,
    res: ServerResponse,
  ): Promise<void> {
    const run = runs[op.operationId];
    if (!op.body) return run({ req, res, actor, params, search, body: undefined });
    // Not walked here: each operation's parse (core's `parseOrThrow`) walks it once, bounds included.
    return readUnwalkedJsonBody(req, maxBody).then((body) => run({ req, res, actor, params, search, body }));
  }

  function refused(error: unknown, res: ServerResponse, params: Record<string, string> | undefined): void {
    if (!options.audit || !isCredkitError(error)) return;
    if (error.code !== "UNAUTHORIZED" && error.code !== "FORBIDDEN") return;
    const locals = localsOf(res);
    const actor = locals?.actor as { userId?: string } | undefined;
    const requestId = locals?.requestId;
    // Only a well-formed id is recorded: the path is anyone's input (kilobytes, line breaks) before auth.
    const clientId =
      params?.clientId !== undefined && isValidClientId(params.clientId) ? params.clientId : undefined;
    options.audit.record(
      authorizationFailedEvent(error.code, {
        userId: actor?.userId,
        clientId,
        requestId: typeof requestId === "string" ? requestId : undefined,
      }),
    );
  }

  return (req, res, next) => {
    const url = req.url ?? "/";
    const mark = url.indexOf("?");
    let path = mark < 0 ? url : url.slice(0, mark);
    const search = mark < 0 ? "" : url.slice(mark + 1);
    if (prefix !== "") {
      const under = path.startsWith(prefix) && (path.length === prefix.length || path[prefix.length] === "/");
      if (!under) {
        if (next) next();
        else answerError(res, new CredkitError("NOT_FOUND", "No such endpoint"));
        return;
      }
      path = path.slice(prefix.length) || "/";
    }
    // The Express mount path, else our own prefix: where the API is, for the docs and the route name.
    const base = (req as { baseUrl?: string }).baseUrl ?? prefix;
    let params: Record<string, string> | undefined;
    let found: ReturnType<typeof match>;
    try {
      found = match(req.method, path);
    } catch (error) {
      answerError(res, error, options.onError);
      return;
    }
    if (!found) {
      if (next && !options.notFound) next();
      else answerError(res, new CredkitError("NOT_FOUND", "No such endpoint"));
      return;
    }
    params = found.params;
    const locals = localsOf(res);
    // Logs and metrics group requests by this pattern, never by ids.
    if (locals) locals.route = `${base}${found.pattern}`;
    // An operation's error answers carry NO_STORE as its answers do; the documents' never did.
    const headers = "op" in found.value ? NO_STORE : undefined;
    const fail = (error: unknown) => {
      refused(error, res, params);
      answerError(res, error, options.onError, headers);
    };
    let answer: Promise<void> | undefined;
    try {
      answer = serve(found.value, params, search, req, res, base);
    } catch (error) {
      fail(error);
      return;
    }
    answer?.catch(fail);
  };
}
