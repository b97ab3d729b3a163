import { describe, expectTypeOf, it } from "vitest";
import type { CreateCredentialInput, UpdateCredentialInput } from "../src/index.js";

// Compile-time checks (run by `tsc` as the package's typecheck): an embedder writes create and update
// bodies as literals, leaving out what has a default, and a secret of the wrong shape does not compile.
describe("the input types an embedder writes", () => {
  it("accept a literal without the fields that have defaults", () => {
    const bearer: CreateCredentialInput = {
      credentialName: "partner",
      credentialType: "target",
      authType: "bearer",
      region: "eu-west-1",
      secret: { token: "t" },
    };
    const apiKey: CreateCredentialInput = {
      credentialName: "gateway",
      credentialType: "proxy",
      authType: "apiKey",
      secret: { keyName: "X-Api-Key", keyValue: "v" },
    };
    const rename: UpdateCredentialInput = { credentialName: "renamed" };
    expectTypeOf([bearer, apiKey]).items.toExtend<CreateCredentialInput>();
    expectTypeOf(rename).toExtend<UpdateCredentialInput>();
  });

  it("refuse a secret whose shape is not its authType's", () => {
    const wrong: CreateCredentialInput = {
      credentialName: "partner",
      credentialType: "target",
      authType: "bearer",
      // @ts-expect-error a bearer secret is { token }, not an apiKey's
      secret: { keyName: "X-Api-Key", keyValue: "v" },
    };
    expectTypeOf(wrong).toExtend<CreateCredentialInput>();
  });
});
