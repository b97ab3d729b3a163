import { describe, expect, it } from "vitest";
import type { OutboundFetch } from "../src/outbound/outbound-fetch.js";
import type { SecretOf } from "../src/schemas/secrets.js";
import {
  type ClientCredentialsSecret,
  fetchClientCredentialsToken,
} from "../src/target/client-credentials.js";
import { fetchCustomToken, valueAtPath } from "../src/target/custom-token.js";
import { grantFrom, requestToken, secondsFrom } from "../src/target/token-endpoint.js";

// How a token endpoint's answer is read, value by value (issue 26): lifetimes, the access and refresh
// tokens, and the dot paths of customToken. Each bound at and past it; what is not usable is refused
// or ignored, never stored.
describe("secondsFrom", () => {
  it("takes a positive finite number, or a numeric string as some servers send", () => {
    expect(secondsFrom(3600)).toBe(3600);
    expect(secondsFrom(0.5)).toBe(0.5);
    expect(secondsFrom("120")).toBe(120);
    expect(secondsFrom(" 120 ")).toBe(120);
  });

  it.each([
    0,
    -1,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    "",
    "  ",
    "0",
    "-5",
    "soon",
    "Infinity",
    null,
    true,
    {},
  ])("ignores %s", (value) => {
    expect(secondsFrom(value)).toBeUndefined();
  });
});

describe("grantFrom", () => {
  it("reads the access token, its lifetime and a refresh token", () => {
    expect(grantFrom({ access_token: "at", expires_in: 60, refresh_token: "rt" })).toEqual({
      accessToken: "at",
      expiresInSeconds: 60,
      refreshToken: "rt",
    });
  });

  it("leaves out a lifetime or a refresh token that is not usable", () => {
    expect(grantFrom({ access_token: "at", expires_in: 0, refresh_token: "" })).toEqual({
      accessToken: "at",
    });
    expect(grantFrom({ access_token: "at", expires_in: "x", refresh_token: 5 })).toEqual({
      accessToken: "at",
    });
    expect(grantFrom({ access_token: "at" })).toStrictEqual({ accessToken: "at" });
  });

  it.each([undefined, "", 5, "line\r\nX-Injected: 1", "tab\tok\u0100"])(
    "refuses the access token %j with UPSTREAM_ERROR",
    (accessToken) => {
      expect(() => grantFrom({ access_token: accessToken })).toThrow(
        expect.objectContaining({ code: "UPSTREAM_ERROR" }),
      );
    },
  );

  it("takes an access token of any header-safe characters", () => {
    expect(grantFrom({ access_token: "a b\tc~\u00ff" }).accessToken).toBe("a b\tc~\u00ff");
  });
});

describe("valueAtPath", () => {
  const body = { data: { token: "t", items: [{ value: "v" }], empty: null } };

  it("follows object keys and array indexes", () => {
    expect(valueAtPath(body, "data.token")).toBe("t");
    expect(valueAtPath(body, "data.items.0.value")).toBe("v");
    expect(valueAtPath(body, "data")).toBe(body.data);
  });

  it("is undefined past a missing key, a null or a primitive", () => {
    expect(valueAtPath(body, "data.missing")).toBeUndefined();
    expect(valueAtPath(body, "data.empty.x")).toBeUndefined();
    expect(valueAtPath(body, "data.token.length")).toBeUndefined();
    expect(valueAtPath(null, "data")).toBeUndefined();
    expect(valueAtPath(body, "data.items.1")).toBeUndefined();
  });

  it("reads own keys only, never the prototype's", () => {
    expect(valueAtPath({}, "constructor")).toBeUndefined();
    expect(valueAtPath({}, "__proto__")).toBeUndefined();
    expect(valueAtPath({ a: {} }, "a.toString")).toBeUndefined();
  });
});

describe("fetchCustomToken", () => {
  const secret = (extra: Record<string, unknown> = {}) =>
    ({
      tokenUrl: "https://issuer.example/token",
      method: "POST",
      tokenPath: "access_token",
      headerName: "Authorization",
      headerPrefix: "Bearer ",
      ...extra,
    }) as SecretOf<"customToken">;
  /** A fetch answering `status` with `body`, recording the request it was given. */
  const answering = (status: number, body: unknown) => {
    const seen: { headers: Record<string, string>; body?: string }[] = [];
    const fetch: OutboundFetch = async (_url, init) => {
      seen.push({ headers: init?.headers as Record<string, string>, body: init?.body as string | undefined });
      return new Response(JSON.stringify(body), { status });
    };
    return { fetch, seen };
  };

  it("accepts a 2xx status up to 299, and refuses 300 and up", async () => {
    for (const status of [200, 299])
      await expect(
        fetchCustomToken(answering(status, { access_token: "t" }).fetch, secret()),
      ).resolves.toStrictEqual({
        accessToken: "t",
      });
    for (const status of [300, 404]) {
      await expect(
        fetchCustomToken(answering(status, { access_token: "t" }).fetch, secret()),
      ).rejects.toMatchObject({
        code: "UPSTREAM_ERROR",
      });
    }
  });

  it("refuses an empty token", async () => {
    await expect(
      fetchCustomToken(answering(200, { access_token: "" }).fetch, secret()),
    ).rejects.toMatchObject({
      code: "UPSTREAM_ERROR",
    });
  });

  it("sends an object body as JSON unless a content type is set, in any letter case; a string body as is", async () => {
    const json = answering(200, { access_token: "t" });
    await fetchCustomToken(json.fetch, secret({ body: { a: 1 } }));
    expect(json.seen[0]?.headers["content-type"]).toBe("application/json");
    expect(json.seen[0]?.body).toBe('{"a":1}');
    const typed = answering(200, { access_token: "t" });
    await fetchCustomToken(typed.fetch, secret({ body: { a: 1 }, headers: { "Content-Type": "text/x" } }));
    expect(typed.seen[0]?.headers["content-type"]).toBeUndefined();
    const text = answering(200, { access_token: "t" });
    await fetchCustomToken(text.fetch, secret({ body: "a=1" }));
    expect(text.seen[0]?.headers["content-type"]).toBeUndefined();
    expect(text.seen[0]?.body).toBe("a=1");
    const get = answering(200, { access_token: "t" });
    await fetchCustomToken(get.fetch, secret({ method: "GET", body: "ignored" }));
    expect(get.seen[0]?.body).toBeUndefined();
  });

  it("asks for JSON, and sends a POST without a body with no content type", async () => {
    const bare = answering(200, { access_token: "t" });
    await fetchCustomToken(bare.fetch, secret());
    expect(bare.seen[0]?.headers).toStrictEqual({ accept: "application/json" });
    expect(bare.seen[0]?.body).toBeUndefined();
  });

  it("refuses an answer with no body (304) as UPSTREAM_ERROR, and names a body that is not JSON", async () => {
    const empty: OutboundFetch = async () => new Response(null, { status: 304 });
    await expect(fetchCustomToken(empty, secret())).rejects.toMatchObject({
      code: "UPSTREAM_ERROR",
      upstreamClass: "http_3xx",
    });
    const html: OutboundFetch = async () => new Response("<html>", { status: 200 });
    await expect(fetchCustomToken(html, secret())).rejects.toMatchObject({
      message: "The token endpoint answered 200 with a body that is not JSON",
      upstreamClass: "invalid_response",
    });
  });
});

describe("requestToken", () => {
  /** A fetch answering `status` with `body` (JSON unless a string), recording the requests. */
  const answering = (status: number, body: unknown) => {
    const seen: { headers: Record<string, string>; body: URLSearchParams }[] = [];
    const fetch: OutboundFetch = async (_url, init) => {
      seen.push({
        headers: init?.headers as Record<string, string>,
        body: new URLSearchParams(init?.body as string),
      });
      return new Response(typeof body === "string" ? body : JSON.stringify(body), { status });
    };
    return { fetch, seen };
  };
  const URL_ = "https://issuer.example/token";

  it("posts a form asking for JSON; a public client sends its id and no secret", async () => {
    const { fetch, seen } = answering(200, { access_token: "t" });
    await requestToken(fetch, URL_, { grant_type: "client_credentials" }, { method: "none", clientId: "c" });
    expect(seen[0]?.headers).toStrictEqual({
      accept: "application/json",
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(Object.fromEntries(seen[0]?.body ?? [])).toStrictEqual({
      grant_type: "client_credentials",
      client_id: "c",
    });
  });

  it("returns invalid_grant when the endpoint refuses the grant, for a string code only", async () => {
    const none = { method: "none", clientId: "c" } as const;
    expect(await requestToken(answering(400, { error: "invalid_grant" }).fetch, URL_, {}, none)).toBe(
      "invalid_grant",
    );
    // An array that would print as "invalid_grant" is no OAuth error code: the status stands for it.
    await expect(
      requestToken(answering(400, { error: ["invalid_grant"] }).fetch, URL_, {}, none),
    ).rejects.toMatchObject({ code: "UPSTREAM_ERROR", upstreamClass: "http_4xx" });
  });

  it("names a 200 whose body is not JSON as such (another status with such a body is its status class)", async () => {
    const none = { method: "none", clientId: "c" } as const;
    await expect(requestToken(answering(200, "<html>").fetch, URL_, {}, none)).rejects.toMatchObject({
      message: "The token endpoint answered 200 with a body that is not JSON",
      upstreamClass: "invalid_response",
    });
    await expect(requestToken(answering(502, "<html>").fetch, URL_, {}, none)).rejects.toMatchObject({
      message: "The token endpoint answered 502",
      upstreamClass: "http_5xx",
    });
  });
});

describe("fetchClientCredentialsToken", () => {
  it("sends a scope only when the credential names at least one", async () => {
    const bodies: URLSearchParams[] = [];
    const fetch: OutboundFetch = async (_url, init) => {
      bodies.push(new URLSearchParams(init?.body as string));
      return new Response(JSON.stringify({ access_token: "t" }), { status: 200 });
    };
    const secret = (scopes?: string[]) =>
      ({
        grantType: "client_credentials",
        tokenUrl: "https://issuer.example/token",
        clientId: "c",
        clientSecret: "s",
        tokenEndpointAuthMethod: "client_secret_basic",
        ...(scopes ? { scopes } : {}),
      }) as ClientCredentialsSecret;
    await fetchClientCredentialsToken(fetch, secret());
    await fetchClientCredentialsToken(fetch, secret([]));
    await fetchClientCredentialsToken(fetch, secret(["a"]));
    expect(bodies.map((b) => b.get("scope"))).toEqual([null, null, "a"]);
  });
});
