import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { AuditSink, CredentialService } from "@credkit/core";
import { type AuthzAnswerEvent, createAuthzHandler, type UserToken } from "@credkit/express";
import type { Logger } from "pino";
import { callerAddress, type TrustedProxies } from "./caller-address.js";
import type { CallerThrottle } from "./caller-throttle.js";
import { refusalSummary } from "./refusal-summary.js";

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

/** As on `POST /verify`: 16 KiB of headers at most (Node answers 431 past that). */
const MAX_HEADER_BYTES = 16 * 1024;
// Proxies keep connections to the auth service open; outlive their idle timeouts (nginx 60 s by
// default) so a request never races the close of the connection it was sent on.
const KEEP_ALIVE_MS = 65_000;
/** When a request arrived, kept only while debug logging is on (its line carries the duration). */
const startedAt = new WeakMap<IncomingMessage, bigint>();

/**
 * The bundled server's `/authz` port: `@credkit/express`'s `createAuthzHandler` (which asks core's
 * `authorizeProxyRequest`) on plain `node:http`, with the server's own concerns around it: keep-alive
 * timing, the per-caller throttle behind trusted proxies, metrics, the refusal summary and debug lines.
 */
export function createAuthzListener(options: AuthzListenerOptions): AuthzListener {
  const { logger, throttle } = options;
  const debug = logger.isLevelEnabled("debug");
  const onAnswer = options.onAnswer;
  const trusted: TrustedProxies = options.trustedProxies ?? (() => false);
  const refusals = refusalSummary({ logger, intervalMs: options.refusalSummaryMs ?? 60_000 });

  function answered(answer: AuthzAnswerEvent, req: IncomingMessage): void {
    onAnswer?.(answer.status, answer.reason);
    if (answer.refusal !== undefined)
      refusals.count(
        answer.refusal,
        answer.route?.clientId ?? null,
        answer.caller ?? callerAddress(req, trusted),
      );
    if (!debug) return;
    const started = startedAt.get(req);
    // Ids only (the path's, the token's user, the matched credential); headers (credentials) never.
    logger.debug(
      {
        method: req.method,
        route: "/authz",
        status: answer.status,
        reason: answer.reason,
        clientId: answer.route?.clientId,
        targetId: answer.route?.targetCredentialId ?? undefined,
        credentialId: answer.credentialId,
        userId: answer.userId,
        ms: started === undefined ? undefined : Number(process.hrtime.bigint() - started) / 1e6,
      },
      "authz request",
    );
  }

  const handler = createAuthzHandler({
    service: options.service,
    tokens: options.tokens,
    onAnswer: answered,
    onError(error) {
      const code = (error as { code?: unknown } | null)?.code;
      logger.error({ code: typeof code === "string" ? code : "INTERNAL" }, "authz request failed");
    },
    ...(options.audit ? { audit: options.audit } : {}),
    callerOf: (req: IncomingMessage) => callerAddress(req, trusted),
    ...(throttle ? { throttle } : {}),
  });
  const server = createServer(
    { keepAliveTimeout: KEEP_ALIVE_MS, maxHeaderSize: MAX_HEADER_BYTES },
    debug
      ? (req, res) => {
          startedAt.set(req, process.hrtime.bigint());
          handler(req, res);
        }
      : handler,
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
