import type {
  AuthType as CoreAuthType,
  AuthTypeOf as CoreAuthTypeOf,
  CreateCredentialInput as CoreCreateInput,
  CreateCredentialInputOf as CoreCreateInputOf,
  CredentialType as CoreCredentialType,
  SecretInputOf as CoreSecretInputOf,
  UpdateCredentialInput as CoreUpdateInput,
  UpdateCredentialInputOf as CoreUpdateInputOf,
} from "@credkit/core";
import { describe, expectTypeOf, it } from "vitest";
import type {
  AuthType,
  AuthTypeOf,
  CreateCredentialInput,
  CreateCredentialInputOf,
  CredentialType,
  CredkitClient,
  SecretInputOf,
  UpdateCredentialInput,
  UpdateCredentialInputOf,
} from "../src/index.js";

// Compile-time checks (run by `tsc` as the package's typecheck; a `@ts-expect-error` that no longer
// errs fails it). One name, one concept: core's input types (the schemas' input side) and the client's
// (read off the OpenAPI document, generated from the same schemas) describe the same JSON bodies, with
// the secret tied to the auth type on both sides.
describe("core's and the client's input types", () => {
  it("name the same auth types, credential types and secret shapes", () => {
    expectTypeOf<AuthType>().toEqualTypeOf<CoreAuthType>();
    expectTypeOf<CredentialType>().toEqualTypeOf<CoreCredentialType>();
    expectTypeOf<AuthTypeOf<"proxy">>().toEqualTypeOf<CoreAuthTypeOf<"proxy">>();
    expectTypeOf<AuthTypeOf<"target">>().toEqualTypeOf<CoreAuthTypeOf<"target">>();
    // Each shape accepts what core's accepts and nothing more (the JSON schema's types are wider for
    // branded strings, so the check is both ways rather than equality).
    expectTypeOf<CoreSecretInputOf<"apiKey">>().toExtend<SecretInputOf<"apiKey">>();
    expectTypeOf<SecretInputOf<"apiKey">>().toExtend<CoreSecretInputOf<"apiKey">>();
    expectTypeOf<CoreSecretInputOf<"jwtVerify">>().toExtend<SecretInputOf<"jwtVerify">>();
    expectTypeOf<SecretInputOf<"jwtVerify">>().toExtend<CoreSecretInputOf<"jwtVerify">>();
    expectTypeOf<CoreSecretInputOf<"oauth2">>().toExtend<SecretInputOf<"oauth2">>();
    expectTypeOf<SecretInputOf<"oauth2">>().toExtend<CoreSecretInputOf<"oauth2">>();
    expectTypeOf<CoreSecretInputOf<"customToken">>().toExtend<SecretInputOf<"customToken">>();
    expectTypeOf<SecretInputOf<"customToken">>().toExtend<CoreSecretInputOf<"customToken">>();
  });

  it("accept the same create and update bodies under the same names", () => {
    expectTypeOf<CoreCreateInput>().toExtend<CreateCredentialInput>();
    expectTypeOf<CreateCredentialInput>().toExtend<CoreCreateInput>();
    expectTypeOf<CoreCreateInputOf<"basicAuth">>().toExtend<CreateCredentialInputOf<"basicAuth">>();
    expectTypeOf<CreateCredentialInputOf<"basicAuth">>().toExtend<CoreCreateInputOf<"basicAuth">>();
    expectTypeOf<CoreUpdateInput>().toExtend<UpdateCredentialInput>();
    expectTypeOf<UpdateCredentialInput>().toExtend<CoreUpdateInput>();
    expectTypeOf<CoreUpdateInputOf<"bearer">>().toExtend<UpdateCredentialInputOf<"bearer">>();
    expectTypeOf<UpdateCredentialInputOf<"bearer">>().toExtend<CoreUpdateInputOf<"bearer">>();
    expectTypeOf<keyof CoreCreateInput>().toEqualTypeOf<keyof CreateCredentialInput>();
    expectTypeOf<keyof CoreUpdateInput>().toEqualTypeOf<keyof UpdateCredentialInput>();
    // Required fields agree too: what one may leave out, the other may as well.
    const minimal: CoreCreateInput = { credentialName: "n", credentialType: "target", authType: "none" };
    expectTypeOf(minimal).toExtend<CreateCredentialInput>();
  });
});

describe("the client's create and update bodies", () => {
  it("tie the secret to the auth type", () => {
    const apiKey: CreateCredentialInput = {
      credentialName: "gateway",
      credentialType: "proxy",
      authType: "apiKey",
      secret: { keyName: "X-Api-Key", keyValue: "a-long-enough-key-value" },
    };
    const wrongShape: CreateCredentialInput = {
      credentialName: "gateway",
      credentialType: "proxy",
      authType: "apiKey",
      // @ts-expect-error an apiKey secret is {keyName, keyValue}, not a bearer's {token}
      secret: { token: "a-long-enough-token-value" },
    };
    // @ts-expect-error an apiKey credential needs its secret
    const missing: CreateCredentialInput = {
      credentialName: "n",
      credentialType: "proxy",
      authType: "apiKey",
    };
    const none: CreateCredentialInput = { credentialName: "n", credentialType: "target", authType: "none" };
    const defaults: CreateCredentialInputOf<"jwtVerify"> = {
      credentialName: "tokens",
      credentialType: "proxy",
      authType: "jwtVerify",
      // failPolicy and clockSkewSeconds have defaults: a caller may leave them out, as with core.
      secret: {
        algorithms: ["RS256"],
        issuer: "https://issuer",
        audience: "api",
        jwksUri: "https://issuer/jwks",
      },
    };
    expectTypeOf([apiKey, wrongShape, missing, none, defaults]).toExtend<CreateCredentialInput[]>();
  });

  it("refuse a credential type the auth type does not allow", () => {
    // No member of the union pairs oauth2 with proxy, or jwtVerify with target.
    expectTypeOf<
      Extract<CreateCredentialInput, { authType: "oauth2"; credentialType: "proxy" }>
    >().toBeNever();
    expectTypeOf<CreateCredentialInputOf<"oauth2">["credentialType"]>().toEqualTypeOf<"target">();
    expectTypeOf<CreateCredentialInputOf<"jwtVerify">["credentialType"]>().toEqualTypeOf<"proxy">();
    expectTypeOf<CreateCredentialInputOf<"apiKey">["credentialType"]>().toEqualTypeOf<"proxy" | "target">();
  });

  it("check an update's secret against the auth type it names", () => {
    const update: CredkitClient["updateCredential"] = async () => {
      throw new Error("not called: a compile-time check");
    };
    type Update = typeof update;
    // The call site infers the auth type from the body and checks the secret against it.
    expectTypeOf<Parameters<Update>[2]>().toEqualTypeOf<UpdateCredentialInput>();
    const typed: UpdateCredentialInputOf<"bearer"> = { secret: { token: "a-long-enough-token-value" } };
    // @ts-expect-error a bearer secret is {token}
    const wrong: UpdateCredentialInputOf<"bearer"> = { secret: { username: "u", password: "p" } };
    const withAuthType = () =>
      update("acme", "c1", {
        authType: "basicAuth",
        // @ts-expect-error the body names basicAuth: its secret is {username, password}
        secret: { token: "a-long-enough-token-value" },
      });
    const untyped: UpdateCredentialInput = { secret: { token: "a-long-enough-token-value" } };
    expectTypeOf([typed, wrong, untyped]).toExtend<UpdateCredentialInput[]>();
    expectTypeOf(withAuthType).toBeFunction();
  });
});
