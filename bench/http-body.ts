import type { CreateCredentialInput } from "@credkit/core";

/** The body every benchmarked create sends: a target credential, so creates never collide on a lookup hash. */
export const createBody: CreateCredentialInput = {
  credentialName: "bench",
  credentialType: "target",
  authType: "bearer",
  region: "us-east-1",
  secret: { token: "bench-token-0123456789abcdef" },
};
