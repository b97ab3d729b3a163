import type { Actor, AuditSink, CredentialService, IdempotencyStore } from "@credkit/core";
import { CredkitError, checkJsonBounds, invalid, parseOrThrow, verifyRequestBody } from "@credkit/core";
import express, { type Request, type RequestHandler, type Response, Router } from "express";
import { renderDocsPage } from "./docs-page.js";
import { type ErrorObserver, errorHandler } from "./http-errors.js";
import {
  type IdempotencyProtection,
  idempotentCreate,
  memoryIdempotencyStore,
  processIdempotencyProtection,
} from "./idempotency.js";
import { callbackAnswer, parseCallbackQuery, renderCallbackPage } from "./oauth-callback.js";
import { buildOpenApiDocument } from "./openapi.js";
import { type Operation, operations } from "./operations.js";
import { parsedBodyLimit } from "./parsed-body.js";
import { auditRefusals } from "./refusal-audit.js";
import {
  isJsonRequest,
  parseCursor,
  parseIfMatch,
  parseLimit,
  parseListFlag,
  requireJsonBody,
} from "./request-params.js";
import { type Authenticate, defaultUnauthorizedMessage, tokenFromHeader } from "./token-auth.js";

/** Options of {@link createCredkitRouter}. */
export interface CredkitRouterOptions {
  service: CredentialService;
  /** Who is calling; null → 401. */
  authenticate: Authenticate;
  /**
   * The message of a 401 when `authenticate` returns null. Default: about the `Authorization` token for
   * a `tokenAuthenticator`, else "The request is not authenticated".
   */
  unauthorizedMessage?: string;
  /**
   * Where the router is mounted, for the OpenAPI document and the docs page only. Default: the path
   * Express mounted it at (`req.baseUrl`), so `app.use("/v1", router)` needs no repeat; set it when a
   * proxy in front rewrites the prefix.
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
   * 401 and 403 the router answers, so refusals reach an audit trail when the router is embedded.
   */
  audit?: AuditSink;
  /**
   * Answer unknown paths under the router's prefix with a JSON 404 instead of passing them on to the
   * host app's later routes. Default false: the router never swallows routes it does not own.
   */
  notFound?: boolean;
}

type Handler = (req: Request, res: Response, actor: Actor) => Promise<void>;

const param = (req: Request, name: string) => String(req.params[name]);

function sendCredential(
  res: Response,
  status: number,
  { authorizationUrl, ...credential }: { credentialVersion: number; authorizationUrl?: string },
) {
  res.setHeader("ETag", `"${credential.credentialVersion}"`);
  // An authorization-code flow's URL sits beside the credential, not in it: it is not part of its view.
  res.status(status).json({
    credentials: [credential],
    message: "Success",
    ...(authorizationUrl ? { authorizationUrl } : {}),
  });
}

/** Refuses a body whose bytes are not valid text in its charset (body-parser's `verify` hook). */
function requireValidText(_req: unknown, _res: unknown, buf: Buffer, encoding: string): void {
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(encoding, { fatal: true });
  } catch {
    return; // a charset TextDecoder does not know: the parser refuses it with 415 anyway
  }
  try {
    decoder.decode(buf);
  } catch {
    throw invalid([{ path: "body", message: `must be valid ${encoding.toUpperCase()}` }]);
  }
}

/**
 * The credential API as an Express router: the endpoints of `operations` (credentials, verify, resolve,
 * the OAuth callback) plus `/openapi.json` and `/docs`. Mount it anywhere
 * (`app.use("/api", createCredkitRouter(...))`). Parsing, auth and error mapping happen here;
 * everything else is the service's. Paths it does not serve fall through to the host app's later
 * routes (unless `notFound`); health routes come from {@link createHealthRouter}.
 */
export function createCredkitRouter(options: CredkitRouterOptions): Router {
  const { service } = options;
  // Built once per mount path (a router mounted twice documents each mount as it is reached).
  const documents = new Map<string, { openApi: ReturnType<typeof buildOpenApiDocument>; page: string }>();
  const documentFor = (req: Request) => {
    const basePath = options.basePath ?? req.baseUrl;
    let built = documents.get(basePath);
    if (!built) {
      const openApi = buildOpenApiDocument({ basePath });
      built = { openApi, page: renderDocsPage(openApi, `${basePath.replace(/\/$/, "")}/openapi.json`) };
      // A mount pattern with parameters gives a baseUrl per request: keep a few, never one per caller.
      if (documents.size < 16) documents.set(basePath, built);
    }
    return built;
  };
  const bodyLimit = options.bodyLimit ?? "100kb";
  const json = express.json({
    limit: bodyLimit,
    type: isJsonRequest,
    // Checked on the bytes: the parser would turn invalid UTF-8 into U+FFFD and store that.
    verify: requireValidText,
  });

  const idempotency = {
    store: options.idempotency?.store ?? memoryIdempotencyStore(),
    ttlMs: options.idempotency?.ttlMs ?? 24 * 60 * 60 * 1000,
    inProgressMs: options.idempotency?.inProgressMs ?? 60_000,
    protection: options.idempotency?.protection ?? processIdempotencyProtection(),
  };

  const handlers: Record<Operation["operationId"], Handler> = {
    async listCredentials(req, res, actor) {
      const page = await service.list(actor, param(req, "clientId"), {
        includeTemporary: parseListFlag("includeTemporary", req.query.includeTemporary),
        includeExpired: parseListFlag("includeExpired", req.query.includeExpired),
        limit: parseLimit(req.query.limit),
        cursor: parseCursor(req.query.cursor),
      });
      res.json({
        credentials: page.credentials,
        message: "Success",
        ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
      });
    },
    async createCredential(req, res, actor) {
      const clientId = param(req, "clientId");
      const key = req.headers["idempotency-key"];
      if (typeof key !== "string") {
        sendCredential(res, 201, await service.create(actor, clientId, req.body));
        return;
      }
      // Scoped to the client and the authenticated caller: its token, raw or `Bearer` alike (only
      // keyed hashes of the scope are kept, never the token).
      const { replayed, result } = await idempotentCreate({
        ...idempotency,
        key,
        scope: `${actor.userId}\n${tokenFromHeader(req.headers.authorization) ?? ""}\n${clientId}`,
        body: req.body,
        create: () => service.create(actor, clientId, req.body),
        replay: (credentialId) => service.get(actor, clientId, credentialId),
      });
      if (replayed) res.setHeader("Idempotent-Replayed", "true");
      sendCredential(res, 201, result as { credentialVersion: number; authorizationUrl?: string });
    },
    async getCredential(req, res, actor) {
      sendCredential(res, 200, await service.get(actor, param(req, "clientId"), param(req, "credentialId")));
    },
    async updateCredential(req, res, actor) {
      const ifMatch = parseIfMatch(req.headers["if-match"]);
      const updated = await service.update(
        actor,
        param(req, "clientId"),
        param(req, "credentialId"),
        req.body ?? {},
        {
          ...(ifMatch === undefined ? {} : { ifMatch }),
        },
      );
      sendCredential(res, 200, updated);
    },
    async verifyProxyRequest(req, res, actor) {
      const body = parseOrThrow(verifyRequestBody, req.body);
      const result = await service.verifyProxyRequest(actor, param(req, "clientId"), body);
      res.json(
        result.ok
          ? { allowed: true, credential: result.credential, ...(result.degraded ? { degraded: true } : {}) }
          : { allowed: false, reason: result.reason },
      );
    },
    async deleteCredential(req, res, actor) {
      await service.delete(actor, param(req, "clientId"), param(req, "credentialId"));
      res.json({ message: "Success" });
    },
    async resolveTargetAuth(req, res, actor) {
      // The one route that answers with secret material: the service checks the `resolve` scope.
      res.json(await service.resolveTargetAuth(actor, param(req, "clientId"), param(req, "credentialId")));
    },
    async invalidateTargetToken(req, res, actor) {
      await service.invalidateTargetToken(actor, param(req, "clientId"), param(req, "credentialId"));
      res.json({ message: "Success" });
    },
    async completeAuthorization(req, res) {
      const requestId = res.locals.requestId;
      const credential = await service.completeAuthorization(
        parseCallbackQuery(req.query),
        typeof requestId === "string" ? { requestId } : {},
      );
      if (req.accepts(["html", "json"]) === "json") {
        res.json(callbackAnswer(credential));
        return;
      }
      res.setHeader("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
      res.type("html").send(renderCallbackPage(credential));
    },
  };

  const router = Router();
  router.get("/openapi.json", (req, res) => {
    res.json(documentFor(req).openApi);
  });
  router.get("/docs", (req, res) => {
    res.setHeader("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
    res.type("html").send(documentFor(req).page);
  });

  const unauthorizedMessage = options.unauthorizedMessage ?? defaultUnauthorizedMessage(options.authenticate);
  // Authentication comes first, so an anonymous caller learns nothing from body parsing errors.
  const authenticate: RequestHandler = async (req, res, next) => {
    // Credential metadata is per-tenant: never let a shared cache keep it.
    res.setHeader("Cache-Control", "no-store");
    const actor = await options.authenticate(req);
    if (!actor) throw new CredkitError("UNAUTHORIZED", unauthorizedMessage);
    // A request id the host app set (the bundled server does) follows the actor into audit events.
    const requestId = res.locals.requestId;
    res.locals.actor = typeof requestId === "string" ? { ...actor, requestId } : actor;
    next();
  };
  // The OAuth callback is reached by the end user's browser, without a token; its URL holds the code.
  const callbackHeaders: RequestHandler = (_req, res, next) => {
    res.setHeader("Cache-Control", "no-store");
    res.setHeader("Referrer-Policy", "no-referrer");
    next();
  };
  const jsonBody: RequestHandler[] = [
    (req, _res, next) => {
      requireJsonBody(req);
      next();
    },
    parsedBodyLimit(bodyLimit),
    json,
    (req, _res, next) => {
      // Depth and size are bounded before anything recursive (fingerprints, zod, stringify) sees the body.
      const tooBig = checkJsonBounds(req.body);
      if (tooBig) throw invalid([tooBig]);
      next();
    },
  ];

  for (const op of operations) {
    const handle = handlers[op.operationId];
    const run: RequestHandler = (req, res) => handle(req, res, res.locals.actor as Actor);
    const path = op.path.replace(/\{(\w+)\}/g, ":$1");
    router[op.method](path, op.public ? callbackHeaders : authenticate, ...(op.body ? jsonBody : []), run);
  }

  if (options.notFound) {
    router.use((_req, _res, next) => next(new CredkitError("NOT_FOUND", "No such endpoint")));
  }
  if (options.audit) router.use(auditRefusals(options.audit));
  router.use(errorHandler(options.onError));
  return router;
}
