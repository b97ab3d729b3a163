import { hash, randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Actor, ActorScope } from "@credkit/core";

/** One API token: who it acts as, which clients it may touch (`"*"` = all), and its scopes. */
export interface UserToken {
  token: string;
  userId: string;
  clientIds: readonly string[] | "*";
  /** See `actorScopes` in `@credkit/core`; default none. */
  scopes?: readonly ActorScope[];
}

/** The actor a request authenticated as (its token's scopes are the actor's `scopes`). */
export type AuthenticatedActor = Actor;

/**
 * Finds who a request is; null when it is not authenticated (the handler answers 401 with its
 * `unauthorizedMessage`). Under Express, `Req` is Express's `Request` and the host app's `res.locals`
 * (a session its own middleware set) is `req.res.locals`: Express sets `req.res` on every request.
 */
export type Authenticate<Req extends IncomingMessage = IncomingMessage> = (
  req: Req,
) => Promise<AuthenticatedActor | null> | AuthenticatedActor | null;

/** The token of an `Authorization` header: raw, or after `Bearer ` (any case). */
export function tokenFromHeader(header: string | undefined): string | null {
  if (header === undefined) return null;
  const token = header.replace(/^\s*bearer\s+/i, "").trim();
  return token === "" ? null : token;
}

/** Finds the actor of a presented token; null for an unknown one. */
export type TokenLookup = (token: string) => AuthenticatedActor | null;

/**
 * Indexes a fixed token list once. Tokens are compared through a SHA-256 digest keyed by a per-process
 * random prefix, so finding one is a Map lookup whose timing says nothing about how close a wrong token
 * came, and no token is kept in plain form in the lookup table.
 */
export function tokenLookup(tokens: readonly UserToken[]): TokenLookup {
  // A secret prefix rather than an HMAC: the digests never leave the process (no length extension to
  // fear), and a one-shot hash costs a fifth of an Hmac object, paid by every request (bench http).
  const key = randomBytes(32).toString("base64");
  // Latin-1 ("binary") carries the 32 digest bytes as a 32-character key, cheaper to make and to hash into the Map.
  const digest = (token: string) => hash("sha256", `${key}${token}`, "binary");
  const byDigest = new Map<string, AuthenticatedActor>(
    tokens.map((t) => [
      digest(t.token),
      { userId: t.userId, clientIds: t.clientIds, scopes: t.scopes ?? [] },
    ]),
  );
  return (token) => byDigest.get(digest(token)) ?? null;
}

const tokenAuthenticators = new WeakSet<Authenticate>();

/**
 * Authenticates requests by the token of their `Authorization` header (see {@link tokenLookup}). The
 * answer is kept per request object, so a rate limiter in front and the handler asking about the same
 * request pay for one digest, not two.
 */
export function tokenAuthenticator(tokens: readonly UserToken[]): Authenticate {
  const lookup = tokenLookup(tokens);
  // Kept on the request under a key of this authenticator's own, not in a WeakMap: a WeakMap keyed by
  // every request is an ephemeron table the garbage collector walks on each young-generation pass.
  const answered = Symbol("credkit.tokenActor");
  const authenticate: Authenticate = (req) => {
    const slot = req as IncomingMessage & { [answered]?: AuthenticatedActor | null };
    const known = slot[answered];
    if (known !== undefined) return known;
    const token = tokenFromHeader(req.headers.authorization);
    const actor = token === null ? null : lookup(token);
    slot[answered] = actor;
    return actor;
  };
  tokenAuthenticators.add(authenticate);
  return authenticate;
}

/**
 * The 401 message of a refusal by `authenticate`: about the `Authorization` token only when it is a
 * {@link tokenAuthenticator}; a host's own authentication (a session, mTLS) is not about tokens.
 */
export function defaultUnauthorizedMessage(authenticate: Authenticate<never>): string {
  return tokenAuthenticators.has(authenticate as Authenticate)
    ? "Missing or unknown token in the Authorization header"
    : "The request is not authenticated";
}
