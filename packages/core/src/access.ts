import { CredkitError } from "./errors.js";
import { isValidClientId } from "./ids.js";
import type { Actor } from "./record.js";
import { invalid } from "./schemas/parse.js";

/**
 * Every scope a caller may hold beyond plain credential management. `resolve` lets it use secrets
 * (resolve a target credential, drop its cached token). Add a scope here and the server's token
 * configuration accepts it.
 */
export const actorScopes = ["resolve", "authz"] as const;
/** One of {@link actorScopes}. */
export type ActorScope = (typeof actorScopes)[number];

/** Throws VALIDATION_ERROR (path `clientId`) for a malformed client id. */
export function assertClientId(clientId: string): void {
  if (!isValidClientId(clientId)) {
    throw invalid([
      { path: "clientId", message: "must be 1-128 of A-Z a-z 0-9 . _ : @ - starting with a letter or digit" },
    ]);
  }
}

/** Throws FORBIDDEN unless `actor` may touch `clientId`; VALIDATION_ERROR for a malformed id. */
export function assertClientAccess(actor: Actor, clientId: string): void {
  assertClientId(clientId);
  if (actor.clientIds !== "*" && !actor.clientIds.includes(clientId)) {
    throw new CredkitError("FORBIDDEN", `This token may not access client "${clientId}"`);
  }
}

/** Throws FORBIDDEN unless `actor` holds `scope`. */
export function assertScope(actor: Actor, scope: ActorScope): void {
  if (!actor.scopes?.includes(scope)) {
    throw new CredkitError("FORBIDDEN", `This token lacks the "${scope}" scope this operation requires`);
  }
}

/** {@link assertClientAccess} and {@link assertScope} together: what every use of a secret checks. */
export function assertSecretAccess(actor: Actor, clientId: string, scope: ActorScope): void {
  assertClientAccess(actor, clientId);
  assertScope(actor, scope);
}

/**
 * Throws FORBIDDEN when `actor` holds `authz` but not `resolve`: a data-plane (gateway) token that could
 * create or update credentials could mint a proxy credential whose value it knows (or re-allow a denied
 * one) and then have any target resolved into the authz listener's answer: `resolve` by the back door.
 */
export function assertMayWriteCredentials(actor: Actor): void {
  // Stryker disable next-line ArrayDeclaration: without scopes, any list lacking "authz" answers the same
  const scopes = actor.scopes ?? [];
  if (scopes.includes("authz") && !scopes.includes("resolve")) {
    throw new CredkitError(
      "FORBIDDEN",
      'A token with the "authz" scope (a gateway\'s) may not create or update credentials unless it also holds "resolve"',
    );
  }
}

/**
 * The caller an embedding proxy passes when no user is involved: it verifies requests and resolves
 * target credentials for `clientIds` (default every client) with every scope. Audit events name it
 * `userId` (default `"system"`). Keep it inside the process: anything holding it may use secrets.
 *
 * @example
 * const proxy = systemActor();                        // every client
 * await service.verifyProxyRequest(proxy, clientId, { headers });
 * const scoped = systemActor({ clientIds: ["acme"] }); // only acme's credentials
 */
export function systemActor(
  options: { clientIds?: readonly string[] | "*"; userId?: string; scopes?: readonly ActorScope[] } = {},
): Actor {
  return {
    userId: options.userId ?? "system",
    clientIds: options.clientIds ?? "*",
    scopes: options.scopes ?? actorScopes,
  };
}
