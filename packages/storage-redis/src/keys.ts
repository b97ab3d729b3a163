import { CredkitError } from "@credkit/core";

/** The default key prefix of {@link RedisKeys}. */
export const defaultKeyPrefix = "credkit:";

/** The Redis key names one store uses; see the package README for the layout. */
export interface RedisKeys {
  /**
   * The hash tag of a client: `c:` + base64url of its UTF-8 id, so `{`/`}` inside the id cannot end the
   * tag, and never empty (Redis hashes the whole key when the tag is `{}`, which would split a client).
   */
  tag(clientId: string): string;
  /** `P{tag}:ids`: sorted set (score 0) of every credential id of the client, ordered by bytes. */
  ids(clientId: string): string;
  /** `P{tag}:cred:<credentialId>`: hash with `r` (record JSON), `v`, `x`, `h`, `t`. */
  record(clientId: string, credentialId: string): string;
  /** `P{tag}:lookup:<hash>`: string holding the credential id that owns the lookup hash. */
  lookup(clientId: string, lookupHash: string): string;
  /**
   * `P{tag}:events`: list of the client's pending events (JSON), appended by the script of the write they
   * report (same slot: atomic on a cluster too), removed once relayed to the outbox.
   */
  events(clientId: string): string;
  /**
   * `P{events}:pending-clients`: sorted set of the clients whose event list may hold events; the score
   * is bumped by every write that appends one (so a relay drops a client only if nothing was appended
   * since it read the list).
   */
  pendingClients(): string;
  /** `Pclients`: sorted set of every client id ever written; deliberately without a hash tag. */
  clients(): string;
  /** `P{lease:<base64url name>}`: string holding the owner token, with a PX expiry. */
  lease(name: string): string;
}

/** The suffix every script strips from its first key (`P{tag}:ids`) to derive the client's other keys. */
export const idsSuffix = "ids";

/** Builds the key names under `keyPrefix`, refusing prefixes that would break the hash tags. */
export function redisKeys(keyPrefix: string = defaultKeyPrefix): RedisKeys {
  if (keyPrefix.includes("{") || keyPrefix.includes("}")) {
    // A brace in the prefix would become the hash tag of every key and put all clients on one slot.
    throw new CredkitError("CONFIGURATION_ERROR", "The Redis keyPrefix must not contain '{' or '}'");
  }
  // Buffer.from reads a string as UTF-8 by default.
  const tag = (clientId: string) => `c:${Buffer.from(clientId).toString("base64url")}`;
  const base = (clientId: string) => `${keyPrefix}{${tag(clientId)}}:`;
  return {
    tag,
    ids: (clientId) => `${base(clientId)}${idsSuffix}`,
    record: (clientId, credentialId) => `${base(clientId)}cred:${credentialId}`,
    lookup: (clientId, lookupHash) => `${base(clientId)}lookup:${lookupHash}`,
    events: (clientId) => `${base(clientId)}events`,
    pendingClients: () => `${keyPrefix}{events}:pending-clients`,
    clients: () => `${keyPrefix}clients`,
    lease: (name) => `${keyPrefix}{lease:${Buffer.from(name).toString("base64url")}}`,
  };
}
