import { readFile } from "node:fs/promises";
import { authzHeaders, authzRefusals } from "@credkit/core";
import { describe, expect, it } from "vitest";
import { caddyExample, haproxyExample, haproxyLuaExample } from "./support/front-doors.js";
import { gatewayExample } from "./support/nginx.js";

const doc = new URL("../../../docs/proxies.md", import.meta.url);

/** The fenced blocks of `language` in the doc, in order. */
async function blocks(language: string): Promise<string[]> {
  const text = await readFile(doc, "utf8");
  return [...text.matchAll(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``, "g"))].map(
    (m) => m[1] as string,
  );
}

describe("docs/proxies.md", () => {
  it.each([
    ["nginx", gatewayExample],
    ["caddyfile", caddyExample],
    ["haproxy", haproxyExample],
    ["lua", haproxyLuaExample],
  ])("shows exactly the %s example the front-door tests run", async (language, file) => {
    expect(await blocks(language)).toEqual([await readFile(file, "utf8")]);
  });

  it("names a test for every proxy it calls tested, and that test runs the example", async () => {
    const text = await readFile(doc, "utf8");
    for (const [proxy, test, example] of [
      ["Caddy", "front-door-caddy.test.ts", "startCaddyDoor"],
      ["HAProxy", "front-door-haproxy.test.ts", "startHaproxyDoor"],
      ["nginx", "front-door-nginx.test.ts", "startNginxDoor"],
    ] as const) {
      expect(text).toContain(`## ${proxy} (tested)`);
      expect(text).toContain(test);
      expect(await readFile(new URL(test, import.meta.url), "utf8")).toContain(
        `frontDoorSuite("${proxy.toLowerCase()}", ${example}, {`,
      );
    }
  });

  it("lists every refusal of the authz contract with its status, and every header of an allowed answer", async () => {
    const text = await readFile(doc, "utf8");
    const protocol = text.slice(text.indexOf("## The protocol"), text.indexOf("## nginx (tested)"));
    const documented: Record<string, number> = {};
    for (const line of protocol.split("\n")) {
      const cells = line.split("|").map((cell) => cell.trim());
      const status = /^(\d{3})\b/.exec(cells[1] ?? "")?.[1];
      if (status === undefined) continue;
      for (const [, reason] of (cells[2] ?? "").matchAll(/`([A-Z_]+)`/g))
        documented[reason as string] = Number(status);
    }
    const contract = Object.fromEntries(Object.entries(authzRefusals).map(([r, { status }]) => [r, status]));
    expect(documented).toEqual(contract);
    for (const name of [
      authzHeaders.token,
      authzHeaders.credentialId,
      authzHeaders.degraded,
      authzHeaders.targetQuery,
    ])
      expect(protocol).toContain(`\`${name}\``);
  });
});
