import { type MockOAuth, startMockOAuth, target } from "@credkit/test-support";
import { afterAll, beforeAll } from "vitest";
import {
  type CreateCredentialInput,
  type Keyring,
  type RecordIdentity,
  type StoredCredential,
  tokenStateIdentity,
} from "../src/index.js";

/** The redirect URI of every authorization-code credential the fixture builds. */
export const REDIRECT = "https://credkit.example/api/oauth2/callback";

/** The mock OAuth server of one test file, and the target credentials that point at it. */
export interface OAuthFixture {
  /** The server: started before the file's tests, stopped after them. */
  readonly server: MockOAuth;
  /** An oauth2 client_credentials target at the server; `extra` overrides secret fields. */
  clientCredentials(extra?: Record<string, unknown>): CreateCredentialInput;
  /** An oauth2 authorization_code target at the server; `extra` overrides secret fields. */
  authorizationCode(extra?: Record<string, unknown>): CreateCredentialInput;
}

/** Starts the mock OAuth server for the calling test file (call at the top level, once). */
export function useMockOAuth(): OAuthFixture {
  let started: MockOAuth | undefined;
  beforeAll(async () => {
    started = await startMockOAuth();
  });
  afterAll(() => started?.stop());
  const server = () => {
    if (!started) throw new Error("the mock OAuth server is started in beforeAll: use it inside a test");
    return started;
  };
  return {
    get server() {
      return server();
    },
    clientCredentials: (extra = {}) =>
      target("oauth2", {
        grantType: "client_credentials",
        tokenUrl: server().tokenUrl,
        clientId: "svc",
        clientSecret: "cs-0123456789abcdef",
        ...extra,
      }),
    authorizationCode: (extra = {}) =>
      target("oauth2", {
        grantType: "authorization_code",
        authorizationUrl: `${server().authorizeUrl}?prompt=consent`,
        tokenUrl: server().tokenUrl,
        clientId: "web-app",
        clientSecret: "web-secret-123",
        scopes: ["openid", "offline_access"],
        redirectUri: REDIRECT,
        ...extra,
      }),
  };
}

/** Token state sealed for `record` as the service seals it (`text` as is, anything else as JSON). */
export const sealState = (keyring: Keyring, record: StoredCredential, state: unknown) =>
  keyring.encrypt(typeof state === "string" ? state : JSON.stringify(state), tokenStateIdentity(record));

/** The token state stored in `record`, opened as the service opens it. */
export const stateOf = (keyring: Keyring, record: StoredCredential | null) =>
  JSON.parse(keyring.decrypt(record?.tokenState ?? "", tokenStateIdentity(record as StoredCredential)));

/** The identity a `state` is sealed to (authorization-code.ts), to build states the service did not. */
export const STATE_IDENTITY: RecordIdentity = {
  clientId: "-",
  credentialId: "-",
  credentialType: "target",
  authType: "oauth2",
  region: "-",
  purpose: "oauth2-state",
};
