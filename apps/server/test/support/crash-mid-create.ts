import { expect } from "vitest";
import { apiClient } from "./api-client.js";
import type { ServerProcess } from "./server-process.js";

const body = (name: string) => ({
  credentialName: name,
  credentialType: "target",
  authType: "bearer",
  region: "us-east-1",
  secret: { token: `t-${name}` },
});

/**
 * A process killed in the middle of creates. `victim` reaches its store through `freeze` (a
 * {@link freezingProxy} triggered by the idempotency claim's write): a few creates complete first;
 * then the proxy is armed, more creates start, and once a claim has reached the store and nothing after
 * it can, the victim is SIGKILLed. The unanswered keys are retried at once on `survivor` (another
 * process of the deployment); then the victim is restarted and every key retried on it until 201.
 * Checks that completed creates replay their credential; returns how many keys answered "in progress"
 * right after the crash and how long after it the last key became usable.
 */
export async function crashDuringCreates(options: {
  victim: ServerProcess;
  freeze: { arm(): void; triggered: Promise<void>; close(): void };
  survivor: ServerProcess;
  restart: () => Promise<ServerProcess>;
  token: string;
}) {
  const run = Math.random().toString(36).slice(2, 8);
  const done = [0, 1, 2].map((i) => `done-${run}-${i}`);
  const cut = [0, 1, 2, 3, 4].map((i) => `cut-${run}-${i}`);
  const victim = apiClient(options.victim.url, options.token);
  const survivor = apiClient(options.survivor.url, options.token);
  const post = (client: typeof victim, key: string) =>
    client("POST", "/api/clients/acme/credentials", body(key), { "Idempotency-Key": key });
  const stored = new Map<string, string>();
  for (const key of done) {
    const res = await post(victim, key);
    expect(res.status, res.text).toBe(201);
    stored.set(key, res.body.credentials[0].credentialId);
  }
  options.freeze.arm();
  const exited = new Promise((resolve) => options.victim.child.once("exit", resolve));
  for (const key of cut) post(victim, key).catch(() => undefined);
  await options.freeze.triggered;
  options.victim.child.kill("SIGKILL");
  const killedAt = performance.now();
  await exited;
  options.freeze.close();

  let inProgress = 0;
  for (const res of await Promise.all(cut.map((key) => post(survivor, key)))) {
    if (res.status === 409 && /in progress/.test(res.body.message)) inProgress++;
    else expect(res.status, res.text).toBe(201);
  }
  const restarted = apiClient((await options.restart()).url, options.token);
  let lastUsableMs = 0;
  await Promise.all(
    [...done, ...cut].map(async (key) => {
      // Until the key answers 201: a check per key, bounded well past any in-progress bound.
      for (;;) {
        const res = await post(restarted, key);
        if (res.status === 201) {
          lastUsableMs = Math.max(lastUsableMs, performance.now() - killedAt);
          const before = stored.get(key);
          if (before !== undefined) {
            expect(res.headers.get("idempotent-replayed")).toBe("true");
            expect(res.body.credentials[0].credentialId).toBe(before);
          }
          return;
        }
        expect(res.status, res.text).toBe(409);
        expect(performance.now() - killedAt).toBeLessThan(60_000);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }),
  );
  return { inProgress, lastUsableMs };
}
