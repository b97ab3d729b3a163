import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { gatewayExample } from "./support/nginx.js";

const doc = new URL("../../../docs/proxies.md", import.meta.url);

describe("docs/proxies.md", () => {
  it("shows exactly the nginx config the gateway tests run", async () => {
    const text = await readFile(doc, "utf8");
    const block = /```nginx\n([\s\S]*?)```/.exec(text)?.[1];
    expect(block).toBe(await readFile(gatewayExample, "utf8"));
  });
});
