import { describe, expect, it } from "vitest";
import { pathOf, routeClass } from "../src/http/rate-limit.js";
import { memoryCounter } from "../src/http/shared-counter.js";

describe("the in-process rate-limit counter", () => {
  it("holds at most maxKeys keys whatever the input, dropping the oldest window first", async () => {
    let now = 0;
    const counter = memoryCounter(() => now, 100);
    for (let i = 0; i < 10_000; i++) await counter.hit(`flood-${i}`, 60_000);
    // The newest keys are still counted; the oldest were dropped to stay within the bound.
    expect((await counter.hit("flood-9999", 60_000)).count).toBe(2);
    expect((await counter.hit("flood-0", 60_000)).count).toBe(1);
    now += 60_000;
    expect((await counter.hit("flood-9999", 60_000)).count).toBe(1);
  });
});

describe("the route classes", () => {
  it("puts verify, resolve and invalidate on the data plane, the token-less routes apart", () => {
    expect(routeClass("POST", "/clients/acme/verify")).toBe("dataPlane");
    expect(routeClass("POST", "/clients/acme/credentials/eu1.abc/resolve")).toBe("dataPlane");
    expect(routeClass("POST", "/clients/acme/credentials/eu1.abc/invalidate")).toBe("dataPlane");
    expect(routeClass("GET", "/clients/acme/credentials/verify")).toBe("management");
    expect(routeClass("POST", "/clients/acme/credentials")).toBe("management");
    expect(routeClass("GET", "/oauth2/callback")).toBe("public");
    expect(routeClass("GET", "/docs")).toBe("public");
    expect(routeClass("GET", "/openapi.json")).toBe("public");
  });
});

describe("the path a limit reads", () => {
  it("is the target up to its query or fragment, as Express's req.path", () => {
    expect(pathOf("/docs")).toBe("/docs");
    expect(pathOf("/docs?x=1")).toBe("/docs");
    expect(pathOf("/docs#top")).toBe("/docs");
    expect(pathOf("/clients/a/verify?x=1#y")).toBe("/clients/a/verify");
    expect(pathOf("/?q")).toBe("/");
  });
});
