import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";

describe("CREDKIT_AUTHZ_PORT and CREDKIT_AUTHZ_HOST", () => {
  it("leave the data-plane listener off by default, on loopback when a port is set", () => {
    expect(loadConfig({}).authz).toEqual({ host: "127.0.0.1", failuresPerMinute: 60 });
    expect(loadConfig({ CREDKIT_AUTHZ_PORT: "4001" }).authz).toMatchObject({
      port: 4001,
      host: "127.0.0.1",
    });
    expect(loadConfig({ CREDKIT_AUTHZ_PORT: "0", CREDKIT_AUTHZ_HOST: "0.0.0.0" }).authz).toMatchObject({
      port: 0,
      host: "0.0.0.0",
    });
  });

  it("name the variable at fault, never start with a bad value", () => {
    for (const port of ["-1", "65536", "80a", "1.5"])
      expect(() => loadConfig({ CREDKIT_AUTHZ_PORT: port })).toThrow(
        /CREDKIT_AUTHZ_PORT: must be an integer/,
      );
    expect(() => loadConfig({ CREDKIT_AUTHZ_PORT: "1", CREDKIT_AUTHZ_HOST: "bad host" })).toThrow(
      /CREDKIT_AUTHZ_HOST/,
    );
  });

  it("accept the authz scope on a token", () => {
    const config = loadConfig({
      CREDKIT_USER_TOKENS: JSON.stringify([
        { token: "gateway-token-0123456789", userId: "nginx", clientIds: ["acme"], scopes: ["authz"] },
      ]),
    });
    expect(config.tokens?.[0]?.scopes).toEqual(["authz"]);
    expect(() =>
      loadConfig({
        CREDKIT_USER_TOKENS: JSON.stringify([
          { token: "gateway-token-0123456789", userId: "nginx", clientIds: ["acme"], scopes: ["proxy"] },
        ]),
      }),
    ).toThrow(/CREDKIT_USER_TOKENS/);
  });
});
