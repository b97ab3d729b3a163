import { afterAll, expect, it } from "vitest";
import * as outboxScripts from "../src/outbox-scripts.js";
import * as storeScripts from "../src/scripts.js";
import { standaloneClient } from "./clients.js";

const client = standaloneClient();
afterAll(async () => {
  await client.quit();
});

// EVALSHA finds a script only under the SHA1 Redis computes for it; any other name makes every call a
// NOSCRIPT miss and an EVAL that resends the whole script (it still works, so no other test would see it).
it("names every script by the SHA1 Redis gives it", async () => {
  const scripts = [...Object.values(storeScripts), ...Object.values(outboxScripts)].filter(
    (value) => typeof value === "object",
  );
  expect(scripts).toHaveLength(14);
  for (const script of scripts) expect(await client.script("LOAD", script.lua)).toBe(script.sha);
});
