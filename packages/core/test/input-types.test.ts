import { describe, expectTypeOf, it } from "vitest";
import type {
  AuthTypeOf,
  CreateCredentialInput,
  CreateCredentialInputOf,
  CredentialService,
  UpdateCredentialInput,
} from "../src/index.js";

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

  it("tie credentialType to the auth types it allows, and require a secret where one is needed", () => {
    const wrongSide: CreateCredentialInput = {
      credentialName: "partner",
      credentialType: "proxy",
      authType: "oauth2",
      // @ts-expect-error oauth2 is a target type only: no proxy credential takes its secret
      secret: {
        grantType: "client_credentials",
        tokenUrl: "https://t.example/token",
        clientId: "c",
        clientSecret: "s",
      },
    };
    // @ts-expect-error a bearer credential needs its secret
    const noSecret: CreateCredentialInput = {
      credentialName: "n",
      credentialType: "target",
      authType: "bearer",
    };
    const none: CreateCredentialInput = { credentialName: "n", credentialType: "target", authType: "none" };
    const one: CreateCredentialInputOf<"basicAuth"> = {
      credentialName: "n",
      credentialType: "proxy",
      authType: "basicAuth",
      secret: { username: "u", password: "p" },
    };
    expectTypeOf([wrongSide, noSecret, none, one]).items.toExtend<CreateCredentialInput>();
    expectTypeOf<AuthTypeOf<"proxy">>().toEqualTypeOf<
      "apiKey" | "bearer" | "jwt" | "basicAuth" | "jwtVerify"
    >();
  });

  it("are what service.create and service.update take", () => {
    expectTypeOf<CredentialService["create"]>().parameter(2).toEqualTypeOf<CreateCredentialInput>();
    expectTypeOf<CredentialService["update"]>().parameter(3).toEqualTypeOf<UpdateCredentialInput>();
  });
});
