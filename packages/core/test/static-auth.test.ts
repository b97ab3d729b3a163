import { describe, expect, it } from "vitest";
import type { AuthType } from "../src/index.js";
import type { OpenedSecret } from "../src/records/records.js";
import {
  bearerHeader,
  isStaticTargetAuthType,
  staticTargetAuth,
  staticTargetAuthTypes,
} from "../src/target/static-auth.js";

// Which target auth types are static (resolved from the secret alone, never a token request), and the
// guard for a type that is not (resolve-target.test.ts and target-static.test.ts cover the headers).
describe("static target auth types", () => {
  it("are exactly apiKey, bearer, jwt, basicAuth, custom and none", () => {
    expect([...staticTargetAuthTypes]).toEqual(["apiKey", "bearer", "jwt", "basicAuth", "custom", "none"]);
    const all: AuthType[] = ["apiKey", "bearer", "jwt", "basicAuth", "custom", "none"];
    for (const type of all) expect(isStaticTargetAuthType(type)).toBe(true);
    for (const type of ["oauth2", "customToken", "jwtVerify", ""] as AuthType[])
      expect(isStaticTargetAuthType(type)).toBe(false);
  });

  it("refuses to build static auth for a token type (INTERNAL: a caller's bug, not the user's)", () => {
    for (const authType of ["oauth2", "customToken"]) {
      expect(() => staticTargetAuth({ authType, secret: {} } as unknown as OpenedSecret)).toThrow(
        expect.objectContaining({ name: "CredkitError", code: "INTERNAL" }),
      );
    }
  });

  it("builds `Authorization: Bearer <token>` with no query", () => {
    expect(bearerHeader("t-1")).toEqual({ headers: { Authorization: "Bearer t-1" }, query: {} });
  });
});
