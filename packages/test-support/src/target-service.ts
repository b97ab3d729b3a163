import { randomBytes, randomUUID } from "node:crypto";
import {
  type Actor,
  type AuthTypeOf,
  type CreateCredentialInput,
  type CreateCredentialInputOf,
  type CredentialServiceOptions,
  type CredentialStore,
  createAddressPolicy,
  createCredentialService,
  createKeyring,
  createOutboundFetch,
  type Keyring,
  type SecretInputOf,
  type TargetTokenOptions,
} from "@credkit/core";
import { memoryStore } from "@credkit/storage-memory";

/** The actor target tests create credentials as. */
export const admin: Actor = { userId: "alice", clientIds: "*", scopes: ["resolve"] };

/** A keyring shared by services that stand for several processes over one store. */
export function testKeyring(): Keyring {
  return createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] });
}

/**
 * A service over a memory store (or the given one) whose outbound fetch may reach 127.0.0.1 (where the
 * test servers listen), with an injectable clock and token tunables.
 */
export function targetService(
  options: {
    store?: CredentialStore;
    keyring?: Keyring;
    now?: () => number;
    tokens?: TargetTokenOptions;
    allowHosts?: string[];
    maxResponseBytes?: number;
  } & Pick<CredentialServiceOptions, "pendingAuthorizationTtlMs"> = {},
) {
  const store = options.store ?? memoryStore();
  const keyring = options.keyring ?? testKeyring();
  const service = createCredentialService({
    regions: { "eu-west-1": store },
    keyring,
    defaultRegion: "eu-west-1",
    outboundFetch: createOutboundFetch({
      policy: createAddressPolicy(options.allowHosts ?? ["127.0.0.1"]),
      ...(options.maxResponseBytes ? { maxResponseBytes: options.maxResponseBytes } : {}),
    }),
    ...(options.now ? { now: options.now } : {}),
    ...(options.tokens ? { targetTokens: options.tokens } : {}),
    ...(options.pendingAuthorizationTtlMs
      ? { pendingAuthorizationTtlMs: options.pendingAuthorizationTtlMs }
      : {}),
  });
  return { service, store, keyring, clientId: `c-${randomUUID()}` };
}

/** Fields a test may add to a create body besides its type and secret. */
export type CreateExtras = Partial<
  Omit<CreateCredentialInputOf<"none">, "credentialType" | "authType" | "secret">
>;

/** A create body for a target credential, its secret typed by its auth type. */
export function target<A extends AuthTypeOf<"target">>(
  authType: A,
  secret: SecretInputOf<A>,
  extra: CreateExtras = {},
): CreateCredentialInput {
  // The generic A cannot be matched to its member of the union by the compiler; the parameters are.
  return {
    credentialName: `${authType} target`,
    credentialType: "target",
    authType,
    secret,
    ...extra,
  } as CreateCredentialInput;
}

/** A create body for a proxy credential, its secret typed by its auth type. */
export function proxy<A extends AuthTypeOf<"proxy">>(
  authType: A,
  secret: SecretInputOf<A>,
  extra: CreateExtras = {},
): CreateCredentialInput {
  return {
    credentialName: `${authType} proxy`,
    credentialType: "proxy",
    authType,
    secret,
    ...extra,
  } as CreateCredentialInput;
}

/**
 * A create body as it arrives over HTTP: JSON nobody has checked, for the tests of what the service
 * refuses at run time (the REST router hands the service `req.body` the same way).
 */
export const unchecked = (body: unknown): CreateCredentialInput => body as CreateCredentialInput;

/** A controllable clock starting now. */
export function testClock(start = Date.now()) {
  let at = start;
  return {
    now: () => at,
    advance(ms: number) {
      at += ms;
    },
  };
}
