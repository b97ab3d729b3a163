import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type AuditSink,
  authorizationFailedEvent,
  type CredentialService,
  isValidClientId,
  presentedBasicUsername,
} from "@credkit/core";
import { type TokenLookup, tokenLookup, type UserToken } from "@credkit/express";
import type { Logger } from "pino";
import { callerAddress, type TrustedProxies } from "./caller-address.js";
import type { CallerThrottle } from "./caller-throttle.js";
import { type AuthzAnswer, decide, refuse } from "./decide.js";
import { refusalSummary } from "./refusal-summary.js";
import { type AuthzRoute, parseAuthzPath } from "./route.js";

/** Options of {@link createAuthzListener}. */
export interface AuthzListenerOptions {
  service: CredentialService;
  /** The configured user tokens; only those with scope `authz` may ask. */
  tokens: readonly UserToken[];
  logger: Logger;
  /** Told the status and reason (`ALLOWED`, a refusal reason, …) of every answer (metrics); must be cheap. */
  onAnswer?: (status: number, reason: string) => void;
  /** Milliseconds between the info-level `authz refusals` summaries. Default 60 000. */
  refusalSummaryMs?: number;
  /**
   * Records tokens refused for lacking access (`authorization.failed`), as the management API does for
   * its 403. Missing or unknown tokens are counted per caller address in the refusal summary instead:
   * anyone can send those, and a line per request would let them fill the log.
   */
  audit?: AuditSink;
  /** Per-caller throttling of failed attempts (see `caller-throttle.ts`); absent = off. */
  throttle?: CallerThrottle;
  /** Whose `X-Forwarded-For`/`X-Real-IP` names the caller (`CREDKIT_TRUSTED_PROXIES`); default none. */
  trustedProxies?: TrustedProxies;
}

/** The data-plane listener: an auth service for nginx `auth_request`, Envoy ext_authz and Traefik ForwardAuth. */
export interface AuthzListener {
  server: Server;
  /** Starts listening; resolves with the bound port. */
  listen(port: number, host: string): Promise<number>;
  /** True while it accepts connections (readiness). */
  readonly listening: boolean;
  /** Stops accepting, lets answers in flight finish, closes idle keep-alive connections. */
  close(): Promise<void>;
  /** Closes every connection at once (the shutdown timeout ran out). */
  closeAllConnections(): void;
}

/** As on `POST /verify`: at most 200 headers, 16 KiB of them in all (Node answers 431 past that). */
const MAX_HEADERS = 200;
const MAX_HEADER_BYTES = 16 * 1024;
// Proxies keep connections to the auth service open; outlive their idle timeouts (nginx 60 s by
// default) so a request never races the close of the connection it was sent on.
const KEEP_ALIVE_MS = 65_000;
const PROXY_TOKEN = "x-credkit-token";

const NOT_FOUND = JSON.stringify({
  message: "Use /authz/{clientId}[/{targetCredentialId}]",
  code: "NOT_FOUND",
});
// The client id rule of the API: a malformed one is the caller's mistake (400), not a failed verification.
const BAD_CLIENT_ID = JSON.stringify({
  message: "clientId must be 1-128 of A-Z a-z 0-9 . _ : @ - starting with a letter or digit",
  code: "VALIDATION_ERROR",
  errors: [
    { path: "clientId", message: "must be 1-128 of A-Z a-z 0-9 . _ : @ - starting with a letter or digit" },
  ],
});
const TOO_MANY_HEADERS = JSON.stringify({
  message: `At most ${MAX_HEADERS} headers`,
  code: "VALIDATION_ERROR",
});

/** An answer about the request itself, not a verdict. */
const problem = (status: number, body: string): AuthzAnswer => ({
  status,
  headers: { "Content-Type": "application/json", "Cache-Control": "no-store" },
  body,
});

/** The metric label of an answer: its refusal reason, `ALLOWED`, or what was wrong with the request. */
function reasonLabel(answer: AuthzAnswer): string {
  if (answer.reason !== undefined) return answer.reason;
  if (answer.status < 300) return "ALLOWED";
  return answer.status === 404
    ? "NOT_FOUND"
    : answer.status === 431
      ? "TOO_MANY_HEADERS"
      : "VALIDATION_ERROR";
}

/**
 * Serves `ANY /authz/{clientId}[/{targetCredentialId}]` on plain `node:http`: the hot path of every
 * proxied request, so no management middleware runs here — one token lookup (a keyed hash, then a
 * Map), one verification, one optional target resolution. The request body is never read.
 */
export function createAuthzListener(options: AuthzListenerOptions): AuthzListener {
  const { service, logger } = options;
  const lookup: TokenLookup = tokenLookup(options.tokens);
  const debug = logger.isLevelEnabled("debug");
  const onAnswer = options.onAnswer ?? (() => {});
  const { throttle } = options;
  const trusted: TrustedProxies = options.trustedProxies ?? (() => false);
  const refusals = refusalSummary({ logger, intervalMs: options.refusalSummaryMs ?? 60_000 });
  const onError = (error: unknown) => {
    const code = (error as { code?: unknown }).code;
    logger.error({ code: typeof code === "string" ? code : "INTERNAL" }, "authz request failed");
  };

  function send(
    req: IncomingMessage,
    res: ServerResponse,
    answer: AuthzAnswer,
    started: bigint,
    route: AuthzRoute | null,
    userId?: string,
    address?: string,
  ) {
    answer.headers["Content-Length"] ??= String(Buffer.byteLength(answer.body));
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
    const reason = reasonLabel(answer);
    onAnswer(answer.status, reason);
    if (answer.reason !== undefined)
      refusals.count(answer.reason, route?.clientId ?? null, address ?? callerAddress(req, trusted));
    if (debug) {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // Ids only (the path's, the token's user, the matched credential); headers (credentials) never.
      logger.debug(
        {
          method: req.method,
          route: "/authz",
          status: answer.status,
          reason,
          clientId: route?.clientId,
          targetId: route?.targetCredentialId ?? undefined,
          credentialId: answer.headers["X-Credkit-Credential-Id"],
          userId,
          ms,
        },
        "authz request",
      );
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = debug ? process.hrtime.bigint() : 0n;
    // The body is never read, but Node drains what is left of it to reuse the connection, for as long as
    // the sender streams: a request with a body gets its answer and then the connection is closed.
    if (req.headers["transfer-encoding"] !== undefined || (req.headers["content-length"] ?? "0") !== "0")
      res.setHeader("Connection", "close");
    const route = parseAuthzPath(req.url ?? "");
    if (route === null) {
      send(req, res, problem(404, NOT_FOUND), started, null);
      return;
    }
    if (!isValidClientId(route.clientId)) {
      send(req, res, problem(400, BAD_CLIENT_ID), started, null);
      return;
    }
    if (req.rawHeaders.length > MAX_HEADERS * 2) {
      res.setHeader("Connection", "close");
      send(req, res, problem(431, TOO_MANY_HEADERS), started, route);
      return;
    }
    // A caller over its failure limit is answered before any token check or store lookup. The identity
    // a request presents is read only when the throttle is on, and only from its Basic credentials.
    const address = throttle ? callerAddress(req, trusted) : undefined;
    const username = throttle ? presentedBasicUsername(req.headers) : null;
    const identity = username === null ? null : `${route.clientId}\n${username}`;
    const wait = throttle ? throttle.retryAfter(address as string, identity) : 0;
    if (wait > 0) {
      const answer = refuse("RATE_LIMITED");
      answer.headers["Retry-After"] = String(wait);
      send(req, res, answer, started, route, undefined, address);
      return;
    }
    const headers = req.headers;
    const token = headers[PROXY_TOKEN];
    // The proxy's own token is never mistaken for (or looked up as) the end client's credential.
    delete headers[PROXY_TOKEN];
    const actor = typeof token === "string" && token !== "" ? lookup(token.trim()) : null;
    if (actor === null) {
      // A flood of random tokens is counted per address (summarised), not audited per request. The
      // end client's credential was not checked: the failure is its address's, not its identity's.
      send(req, res, refuse("PROXY_TOKEN_INVALID"), started, route, undefined, address);
      throttle?.failed(address as string);
      return;
    }
    if (
      !actor.scopes?.includes("authz") ||
      (actor.clientIds !== "*" && !actor.clientIds.includes(route.clientId))
    ) {
      send(req, res, refuse("FORBIDDEN"), started, route, actor.userId, address);
      // Only a configured token gets here: a misconfigured gateway, worth an audit line each.
      options.audit?.record(
        authorizationFailedEvent("FORBIDDEN", { clientId: route.clientId, userId: actor.userId }),
      );
      return;
    }
    const answer = await decide(service, route, headers, actor, onError);
    send(req, res, answer, started, route, actor.userId, address);
    if (answer.status === 401) throttle?.failed(address as string, identity);
  }

  const server = createServer(
    { keepAliveTimeout: KEEP_ALIVE_MS, maxHeaderSize: MAX_HEADER_BYTES },
    (req, res) => {
      handle(req, res).catch((error: unknown) => {
        onError(error);
        if (!res.headersSent) send(req, res, refuse("INTERNAL"), 0n, null);
      });
    },
  );
  server.headersTimeout = KEEP_ALIVE_MS + 1000;

  return {
    server,
    get listening() {
      return server.listening;
    },
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve((server.address() as AddressInfo).port);
        });
      });
    },
    close() {
      refusals.stop();
      throttle?.stop();
      return new Promise((resolve) => {
        if (!server.listening) {
          resolve();
          return;
        }
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
    closeAllConnections: () => server.closeAllConnections(),
  };
}
