import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  type Actor,
  type AuditSink,
  type AuthzRefusal,
  authorizationFailedEvent,
  authzHeaders,
  authzRefusalBody,
  authzRefusals,
  type CredentialService,
  type IncomingHeaders,
  isCredkitError,
  type ProxyVerdict,
  presentedBasicUsername,
  reservedAnswerHeaders,
} from "@credkit/core";
import { type AuthzRoute, parseAuthzPath } from "./authz-route.js";
import { tokenLookup, type UserToken } from "./token-auth.js";

/** What an `/authz` answer was, told to {@link AuthzHandlerOptions.onAnswer} (ids only, never a secret). */
export interface AuthzAnswerEvent {
  status: number;
  /** `ALLOWED`, a refusal reason, or what was wrong with the request (`NOT_FOUND`, `VALIDATION_ERROR`, `TOO_MANY_HEADERS`). */
  reason: string;
  /** Set when the answer is a refusal (`{allowed:false, reason}`). */
  refusal: AuthzRefusal | undefined;
  /** The route's client and target; null off the route. */
  route: AuthzRoute | null;
  /** The proxy credential that matched (allowed answers). */
  credentialId: string | undefined;
  /** The user of the proxy's token, once known. */
  userId: string | undefined;
  /** The caller's address, when the throttle asked for it (else undefined: compute it if needed). */
  caller: string | undefined;
}

/**
 * Per-caller throttling of failed attempts, keyed by {@link AuthzHandlerOptions.callerOf} and by the
 * identity a request presents (`{clientId}\n{Basic username}`, the one identity readable without its
 * secret; null when it presents none).
 */
export interface AuthzThrottle {
  /**
   * True while no caller or identity is held back: {@link AuthzThrottle.retryAfter} would answer 0 to
   * everyone, so a request need not have its caller's address or identity read before it is decided.
   */
  idle(): boolean;
  /** Seconds this caller must wait; 0 lets it through. Asked before any token check or store lookup. */
  retryAfter(caller: string, identity: string | null): number;
  /**
   * Counts a failed attempt: an unknown proxy token (the address's alone: the end client's credential
   * was not checked), or a 401 verdict (the address's and the identity's).
   */
  failed(caller: string, identity?: string | null): void;
}

/** Options of {@link createAuthzHandler}. */
export interface AuthzHandlerOptions {
  service: CredentialService;
  /** The accepted tokens; a proxy's `X-Credkit-Token` must be one with scope `authz` (the service checks). */
  tokens: readonly UserToken[];
  /** Told of every answer after it is written (metrics, logs); must be cheap and must not throw. */
  onAnswer?: (answer: AuthzAnswerEvent, req: IncomingMessage) => void;
  /** Told of what went wrong behind an INTERNAL or TARGET_UNAVAILABLE answer (log its code, not its text). */
  onError?: (error: unknown) => void;
  /**
   * Records `authorization.failed` for a configured token lacking access (a misconfigured gateway), as
   * the management API does for its 403. Missing or unknown tokens are not audited: anyone can send
   * those, and a line per request would let them fill the log (count them through `onAnswer`).
   */
  audit?: AuditSink;
  /** Per-caller throttling of failed attempts; absent = off. */
  throttle?: AuthzThrottle;
  /** The caller's address for the throttle. Default: the socket's peer address. */
  callerOf?: (req: IncomingMessage) => string;
}

/** At most 200 headers (Node itself answers 431 past 16 KiB of them, with `maxHeaderSize`). */
const MAX_HEADERS = 200;
const TOKEN = authzHeaders.token.toLowerCase();
const RESERVED = new Set(reservedAnswerHeaders);

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const json = (status: number, body: string): Answer => ({
  status,
  headers: {
    "Cache-Control": "no-store",
    "Content-Type": "application/json",
    // A length, not chunks: the proxy can then skip the body and keep the connection.
    "Content-Length": String(Buffer.byteLength(body)),
  },
  body,
});

const NOT_FOUND = json(
  404,
  JSON.stringify({ message: "Use /authz/{clientId}[/{targetCredentialId}]", code: "NOT_FOUND" }),
);
const TOO_MANY_HEADERS = json(
  431,
  JSON.stringify({ message: `At most ${MAX_HEADERS} headers`, code: "VALIDATION_ERROR" }),
);

/** A refusal: `{allowed:false, reason}` with the status, challenge and Retry-After the contract gives it. */
function refusal(reason: AuthzRefusal, retryAfterSeconds?: number): Answer {
  const contract: { status: number; challenge?: string } = authzRefusals[reason];
  const answer = json(contract.status, authzRefusalBody(reason));
  if (contract.challenge) answer.headers["WWW-Authenticate"] = contract.challenge;
  if (retryAfterSeconds !== undefined) answer.headers["Retry-After"] = String(retryAfterSeconds);
  else if (contract.status === 503) answer.headers["Retry-After"] = "1";
  return answer;
}

/**
 * The allowed answer: the credential id, and the target's headers verbatim and query form-encoded. No
 * body: nginx reads none from an auth subrequest, and keeps its connection to credkit alive only when
 * there is none to skip (with a body, every request would open a new connection).
 */
function allowed(verdict: Extract<ProxyVerdict, { allowed: true }>): Answer {
  const headers: Record<string, string> = {};
  if (verdict.degraded) headers[authzHeaders.degraded] = "true";
  const { target } = verdict;
  if (target) {
    for (const name in target.headers)
      if (!RESERVED.has(name.toLowerCase())) headers[name] = target.headers[name] as string;
    for (const _ in target.query) {
      headers[authzHeaders.targetQuery] = new URLSearchParams(target.query).toString();
      break;
    }
  }
  headers[authzHeaders.credentialId] = verdict.credentialId;
  headers["Cache-Control"] = "no-store";
  headers["Content-Length"] = "0";
  return { status: 200, headers, body: "" };
}

const peer = (req: IncomingMessage) => req.socket.remoteAddress ?? "";

/** The identity a request presents to the throttle: `{clientId}\n{Basic username}`, or null. */
function identityOf(headers: IncomingHeaders, route: AuthzRoute): string | null {
  const username = presentedBasicUsername(headers);
  return username === null ? null : `${route.clientId}\n${username}`;
}

/**
 * Whether the request sent Authorization more than once. Node keeps the first in `req.headers` and
 * drops the others, but the gateway forwards them all, and which one the backend reads is anyone's
 * guess (some take the last): such a request must not be verified on the first alone. One pass over
 * the raw names, bounded by the header limit checked before; a length compare skips almost all.
 */
function authorizationRepeated(raw: readonly string[]): boolean {
  let seen = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length !== 13 || name.toLowerCase() !== "authorization") continue;
    if (seen) return true;
    seen = true;
  }
  return false;
}

/** The headers with every Authorization value as one list: core ignores a header sent several times. */
function withAmbiguousAuthorization(req: IncomingMessage): IncomingHeaders {
  return { ...req.headers, authorization: req.headersDistinct.authorization };
}

/**
 * The `/authz` handler (`ANY /authz/{clientId}[/{targetCredentialId}]`) as a plain `node:http` request
 * listener: a thin shell over `service.authorizeProxyRequest`, which decides. It reads the route and
 * the proxy's `X-Credkit-Token`, asks, and maps the verdict to a status and headers (the contract in
 * `@credkit/core`'s `authzHeaders`/`authzRefusals`). The request body is never read. Serve it on a
 * port of its own, apart from the management API:
 *
 * @example
 * createServer({ keepAliveTimeout: 65_000 }, createAuthzHandler({ service, tokens })).listen(8081, "127.0.0.1");
 */
export function createAuthzHandler(
  options: AuthzHandlerOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const { service, onAnswer, audit, throttle } = options;
  const lookup = tokenLookup(options.tokens);
  // A gateway sends the same token on every subrequest: the last token that matched is recognised by a
  // constant-time comparison (a fraction of a microsecond) before the keyed hash (about 2 µs) is paid.
  // The presented token is written into a buffer kept for it (no allocation per request). Only a token
  // of the same length in characters is compared: a shorter or longer UTF-8 prefix can then never fill
  // the buffer exactly, so a match means the whole token is the remembered one.
  let last: { token: string; bytes: Buffer; scratch: Buffer; actor: Actor } | null = null;
  function authenticate(token: string): Actor | null {
    if (last !== null && token.length === last.token.length) {
      const written = last.scratch.write(token, "utf8");
      if (written === last.bytes.length && timingSafeEqual(last.scratch, last.bytes)) return last.actor;
    }
    const actor = lookup(token);
    if (actor !== null) {
      const bytes = Buffer.from(token, "utf8");
      last = { token, bytes, scratch: Buffer.alloc(bytes.length), actor };
    }
    return actor;
  }
  // A gateway also asks for the same path on every subrequest: the last parse is reused (frozen, as it
  // is handed to every answer's event).
  let lastUrl: string | undefined;
  let lastRoute: AuthzRoute | null = null;
  function routeOf(url: string): AuthzRoute | null {
    if (url !== lastUrl) {
      const route = parseAuthzPath(url);
      lastRoute = route === null ? null : Object.freeze(route);
      lastUrl = url;
    }
    return lastRoute;
  }
  const onError = options.onError ?? (() => {});
  const callerOf = options.callerOf ?? peer;

  function send(
    req: IncomingMessage,
    res: ServerResponse,
    answer: Answer,
    route: AuthzRoute | null,
    reason: string,
    refused?: AuthzRefusal,
    userId?: string,
    caller?: string,
  ): void {
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
    onAnswer?.(
      {
        status: answer.status,
        reason,
        refusal: refused,
        route,
        credentialId: answer.headers[authzHeaders.credentialId],
        userId,
        caller,
      },
      req,
    );
  }

  function refuse(
    req: IncomingMessage,
    res: ServerResponse,
    route: AuthzRoute | null,
    reason: AuthzRefusal,
    caller: string | undefined,
    userId?: string,
    retryAfterSeconds?: number,
  ): void {
    send(req, res, refusal(reason, retryAfterSeconds), route, reason, reason, userId, caller);
  }

  /** Something went wrong behind the answer: told to `onError`, answered INTERNAL if nothing was sent. */
  function failed(req: IncomingMessage, res: ServerResponse, error: unknown): void {
    onError(error);
    if (!res.headersSent) refuse(req, res, null, "INTERNAL", undefined);
  }

  /** Maps core's verdict to the answer (and counts a 401's failure, audits a FORBIDDEN). */
  function answerVerdict(
    req: IncomingMessage,
    res: ServerResponse,
    route: AuthzRoute,
    headers: IncomingHeaders,
    actor: Actor,
    caller: string | undefined,
    verdict: ProxyVerdict,
  ): void {
    if (verdict.allowed) {
      send(req, res, allowed(verdict), route, "ALLOWED", undefined, actor.userId, caller);
      return;
    }
    if (verdict.cause !== undefined) onError(verdict.cause);
    const counted = throttle !== undefined && authzRefusals[verdict.reason].status === 401;
    if (counted) caller ??= callerOf(req);
    refuse(req, res, route, verdict.reason, caller, actor.userId);
    // Only a configured token gets a FORBIDDEN: a misconfigured gateway, worth an audit line each.
    if (verdict.reason === "FORBIDDEN")
      audit?.record(
        authorizationFailedEvent("FORBIDDEN", { clientId: route.clientId, userId: actor.userId }),
      );
    else if (counted) throttle.failed(caller as string, identityOf(headers, route));
  }

  /** A rejection of core's decision: a malformed client id is the caller's mistake (400 naming it). */
  function answerRejection(
    req: IncomingMessage,
    res: ServerResponse,
    route: AuthzRoute,
    actor: Actor,
    caller: string | undefined,
    error: unknown,
  ): void {
    if (!isCredkitError(error, "VALIDATION_ERROR")) {
      failed(req, res, error);
      return;
    }
    const body = JSON.stringify({ message: error.message, code: error.code, errors: error.errors });
    send(req, res, json(400, body), route, "VALIDATION_ERROR", undefined, actor.userId, caller);
  }

  // Not an async function: one spanning every step allocated a frame as large as its body on every
  // request; the answer is written synchronously where it can be, and after core's verdict otherwise.
  function handle(req: IncomingMessage, res: ServerResponse): void {
    // The body is never read, but Node drains what is left of it to reuse the connection, for as long as
    // the sender streams: a request with a body gets its answer and then the connection is closed.
    if (req.headers["transfer-encoding"] !== undefined || (req.headers["content-length"] ?? "0") !== "0")
      res.setHeader("Connection", "close");
    const route = routeOf(req.url ?? "");
    if (route === null) {
      send(req, res, NOT_FOUND, null, "NOT_FOUND");
      return;
    }
    if (req.rawHeaders.length > MAX_HEADERS * 2) {
      res.setHeader("Connection", "close");
      send(req, res, TOO_MANY_HEADERS, route, "TOO_MANY_HEADERS");
      return;
    }
    // A caller over its failure limit is answered before any token check or store lookup. Its address
    // and identity (read only from Basic credentials) are read only while someone is held back, else
    // once a failure is to be counted: a valid caller of a quiet throttle pays nothing for it.
    let caller: string | undefined;
    if (throttle && !throttle.idle()) {
      caller = callerOf(req);
      const wait = throttle.retryAfter(caller, identityOf(req.headers, route));
      if (wait > 0) {
        refuse(req, res, route, "RATE_LIMITED", caller, undefined, wait);
        return;
      }
    }
    const headers: IncomingHeaders = authorizationRepeated(req.rawHeaders)
      ? withAmbiguousAuthorization(req)
      : req.headers;
    const token = headers[TOKEN];
    // The proxy's own token stays in the headers: core never reads an `X-Credkit-*` header as the end
    // client's credential (and deleting it would slow every later read of the object).
    const actor = typeof token === "string" && token !== "" ? authenticate(token.trim()) : null;
    if (actor === null) {
      // A flood of random tokens is counted per address (summarised), not audited per request. The
      // end client's credential was not checked: the failure is its address's, not its identity's.
      if (throttle) caller ??= callerOf(req);
      refuse(req, res, route, "PROXY_TOKEN_INVALID", caller);
      throttle?.failed(caller as string);
      return;
    }
    service.authorizeProxyRequest(actor, route.clientId, { headers }, route.targetCredentialId).then(
      (verdict) => {
        try {
          answerVerdict(req, res, route, headers, actor, caller, verdict);
        } catch (error) {
          failed(req, res, error);
        }
      },
      (error: unknown) => {
        try {
          answerRejection(req, res, route, actor, caller, error);
        } catch (thrown) {
          failed(req, res, thrown);
        }
      },
    );
  }

  return (req, res) => {
    try {
      handle(req, res);
    } catch (error) {
      failed(req, res, error);
    }
  };
}
