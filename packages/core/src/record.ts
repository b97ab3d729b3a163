import type { ActorScope } from "./access.js";

/** The credential types: proxy credentials authenticate incoming requests, target ones outbound. */
export const credentialTypes = ["proxy", "target"] as const;
/** `proxy` or `target`. */
export type CredentialType = (typeof credentialTypes)[number];

/** Every supported auth type. */
export const authTypes = [
  "apiKey",
  "bearer",
  "jwt",
  "basicAuth",
  "jwtVerify",
  "oauth2",
  "customToken",
  "custom",
  "none",
] as const;
/** One of {@link authTypes}. */
export type AuthType = (typeof authTypes)[number];

/** `allow` or `deny`: what a proxy does with a request no rule matches. */
export type RuleEffect = "allow" | "deny";

/**
 * Where a credential stands: `active` (usable), `pending_authorization` (an oauth2 authorization-code
 * credential waiting for its callback) or `needs_reauthorization` (its refresh token was refused).
 */
export const credentialStatuses = ["active", "pending_authorization", "needs_reauthorization"] as const;
/** One of {@link credentialStatuses}. */
export type CredentialStatus = (typeof credentialStatuses)[number];

/**
 * A credential as it lies at rest in a store. Everything but `secret` and `tokenState` is non-secret
 * metadata; `secret` is an encrypted envelope (see `Keyring.encrypt`) bound to this record's identity, so
 * stores never see plaintext. Stores persist the whole record and must return it unchanged; they read only the fields
 * their contract names (`clientId`, `credentialId`, `version`, `temporary`, `expiresAt`, `lookupHash`).
 * Every field is a primitive (a copy is a spread) and survives a JSON round trip.
 */
export interface StoredCredential {
  clientId: string;
  /** Globally unique, carries the region (see `newCredentialId`). */
  credentialId: string;
  region: string;
  credentialType: CredentialType;
  authType: AuthType;
  name: string;
  defaultRuleEffect: RuleEffect;
  singleUse: boolean;
  /** Temporary records are hidden from lists unless asked for, and vanish at `expiresAt`. */
  temporary: boolean;
  /**
   * Epoch milliseconds from which the store must never return the record (and deletes it by its own
   * expiry); null = kept forever. A pending (temporary) record's deadline; for a credential with a
   * lifetime, `lifetimeEndsAt` plus the service's expired-retention grace (see `lifetime.ts`).
   */
  expiresAt: number | null;
  /**
   * Epoch milliseconds from which the credential is refused for every use (its public `expiresAt`);
   * null or absent (records written before lifetimes existed) = no lifetime. Core reads it; stores
   * only keep it, like every field they do not name.
   */
  lifetimeEndsAt?: number | null;
  /** The user who created it. */
  userId: string;
  parentId: string;
  /** ISO-8601 UTC. */
  createdAt: string;
  /** ISO-8601 UTC. */
  updatedAt: string;
  /** Starts at 1 and grows by one with every update: the compare-and-set token. */
  version: number;
  /** The encrypted secret envelope (`ck1.<keyId>.<iv>.<ciphertext>.<tag>`). */
  secret: string;
  /**
   * Keyed hash of the presented value for proxy apiKey/bearer/jwt/basicAuth credentials, unique per
   * client; null for every other credential.
   */
  lookupHash: string | null;
  /**
   * Target token state (cached access token, refresh token, or a pending authorization's state hash and
   * PKCE verifier) as an envelope sealed like `secret` but with the identity purpose `token-state`, so
   * neither envelope opens in the other's place; null when there is none. Written by compare-and-set.
   */
  tokenState: string | null;
  /** See {@link CredentialStatus}; records written before it existed read as `active`. */
  status: CredentialStatus;
}

/**
 * Who is acting: the authenticated user, the clients they may touch (`"*"` = all) and their scopes
 * (see `actorScopes`; `resolve` is needed to use a secret). An embedding proxy with no user passes
 * `systemActor()`.
 */
export interface Actor {
  userId: string;
  clientIds: readonly string[] | "*";
  /** Absent: none (plain credential management only). */
  scopes?: readonly ActorScope[];
  /** The request this acts for, when there is one: carried into audit events. */
  requestId?: string;
}

/** Who a call acts for where no user is checked (a proxy's verification, an OAuth callback): for audit. */
export interface CallContext {
  userId?: string;
  requestId?: string;
}
