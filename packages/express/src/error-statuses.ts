import type { Operation } from "./operations.js";

/** What each error status means, as the OpenAPI document and the docs page say it. */
export const errorStatuses = {
  "400": "Invalid input; `errors` names each field at fault",
  "401": "Missing or unknown token",
  "403": "The token may not access this client, or lacks the scope the operation requires",
  "404":
    "No such credential for this client; on any route, also a path the router does not serve (e.g. a clientId of `.`, which URL normalisation removes)",
  "409":
    "Conflict: a proxy credential with the same secret exists, or the Idempotency-Key was used with another body (CONFLICT); an oauth2 credential must be authorized again (REAUTHORIZATION_REQUIRED); the credential is past its expiresAt (CREDENTIAL_EXPIRED)",
  "412":
    "The credential changed meanwhile: If-Match did not match its current version, or concurrent writes kept changing it",
  "413": "Body larger than the limit",
  "415": "Body is not JSON",
  "429": "Too many requests (when the host app rate-limits); retry after Retry-After seconds",
  "500":
    "Unexpected server error (for example a record that no configured key can decrypt); the message says no more",
  "502": "A token endpoint failed or was refused by the outbound policy (UPSTREAM_ERROR, OUTBOUND_REFUSED)",
  "503": "Storage unreachable; retry after Retry-After seconds",
} as const;

/** An error status the API answers with. */
export type ErrorStatus = keyof typeof errorStatuses;

/**
 * The error statuses one operation can answer, derived from what it takes: every route can refuse its
 * input (400), miss (404), be rate-limited (429), fail (500) or lose its store (503); a token route can
 * refuse the token (401, 403); a route with a JSON body can refuse
 * its size or media type (413, 415). What the operation itself adds (409, 412, 502) it lists in
 * `errors`. Sorted, as the document lists them. 404 is on every route: besides a missing credential, a
 * path that looks like a route until normalised (`/clients/./credentials`) is answered 404.
 */
export function operationErrors(op: Operation): ErrorStatus[] {
  const statuses = new Set<ErrorStatus>(["400", "404", "429", "500", "503", ...(op.errors ?? [])]);
  if (!op.public) for (const s of ["401", "403"] as const) statuses.add(s);
  if (op.body) for (const s of ["413", "415"] as const) statuses.add(s);
  return [...statuses].sort();
}
