import { randomUUID } from "node:crypto";
import {
  admin,
  memoryEventOutbox,
  memoryStore,
  outboxEntry,
  startWebhookReceiver,
  testKeyring,
  type WebhookReceiver,
} from "@credkit/test-support";
import { afterEach, describe, expect, it } from "vitest";
import {
  type CreateCredentialInput,
  CredkitError,
  createAddressPolicy,
  createCredentialService,
  createOutboundFetch,
  createWebhookDispatcher,
  createWebhookService,
  DEFAULT_RETRY_SCHEDULE,
  type EventOutbox,
  outboxEventSink,
  type RetrySchedule,
  retryDelayMs,
} from "../src/index.js";

const receivers: WebhookReceiver[] = [];
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
  await Promise.all(receivers.splice(0).map((r) => r.stop()));
});

/** A service whose events go to a memory outbox, a webhook API over it and a running dispatcher. */
async function setup(
  retry: RetrySchedule = { baseDelayMs: 20, maxDelayMs: 100 },
  allowHosts = ["127.0.0.1"],
) {
  const outbox: EventOutbox = memoryEventOutbox();
  const keyring = testKeyring();
  const policy = createAddressPolicy(allowHosts);
  const store = memoryStore();
  const dispatcher = createWebhookDispatcher({
    outbox,
    stores: [store],
    keyring,
    fetch: createOutboundFetch({ policy, timeoutMs: 2000 }),
    retry,
    pollMs: 20,
  });
  dispatcher.start();
  stops.push(() => dispatcher.stop());
  const service = createCredentialService({
    regions: { "eu-west-1": store },
    keyring,
    defaultRegion: "eu-west-1",
    events: { sink: outboxEventSink(outbox, () => dispatcher.wake()) },
  });
  // A write stores its event in its store; this starts the pass that relays and delivers it.
  service.events.subscribe("*", () => dispatcher.wake());
  const webhooks = createWebhookService({ outbox, keyring, policy });
  const receiver = await startWebhookReceiver();
  receivers.push(receiver);
  return { service, webhooks, outbox, receiver, dispatcher, clientId: `c-${randomUUID()}` };
}

const proxyKey = (keyValue: string): CreateCredentialInput => ({
  credentialName: "partner key",
  credentialType: "proxy",
  authType: "apiKey",
  secret: { keyName: "X-Api-Key", keyValue },
});

describe("webhooks", () => {
  it("delivers a credential's events in order, signed so that standardwebhooks verifies them; no secret in any payload", async () => {
    const { service, webhooks, outbox, receiver, clientId } = await setup();
    const created = await webhooks.create(admin, clientId, {
      url: receiver.url,
      eventTypes: ["credential.created", "credential.updated", "credential.deleted"],
    });
    expect(created.signingSecret).toMatch(/^whsec_/);
    const listed = await webhooks.list(admin, clientId);
    expect(listed).toEqual([expect.objectContaining({ webhookId: created.webhookId, url: receiver.url })]);
    expect(JSON.stringify(listed)).not.toContain(created.signingSecret);
    const stored = await outbox.getWebhook(clientId, created.webhookId);
    expect(stored?.secret).toMatch(/^ck1\./);
    expect(JSON.stringify(stored)).not.toContain(created.signingSecret.slice(6));

    const secrets = [`sk-${randomUUID()}`, `sk-${randomUUID()}`];
    const credential = await service.create(admin, clientId, proxyKey(secrets[0] as string));
    await service.update(admin, clientId, credential.credentialId, {
      secret: { keyName: "X-Api-Key", keyValue: secrets[1] as string },
    });
    await service.delete(admin, clientId, credential.credentialId);
    await receiver.waitFor(3);

    const payloads = receiver.verified(created.signingSecret) as {
      id: string;
      type: string;
      data: { credentialVersion: number };
    }[];
    expect(payloads.map((p) => [p.type, p.data.credentialVersion])).toEqual([
      ["credential.created", 1],
      ["credential.updated", 2],
      ["credential.deleted", 2],
    ]);
    expect(receiver.received.map((r) => r.headers["webhook-id"])).toEqual(payloads.map((p) => p.id));
    for (const request of receiver.received) {
      for (const value of [...secrets, created.signingSecret])
        expect(JSON.stringify(request)).not.toContain(value);
    }
    expect(() => receiver.verified(`whsec_${Buffer.alloc(32, 1).toString("base64")}`)).toThrow();
  });

  it("retries a receiver that answers 500 three times: the fourth attempt, with the same webhook-id, delivers", async () => {
    const { service, webhooks, outbox, receiver, dispatcher, clientId } = await setup();
    receiver.answer((n) => (n <= 3 ? 500 : 200));
    const hook = await webhooks.create(admin, clientId, {
      url: receiver.url,
      eventTypes: ["credential.created"],
    });
    await service.create(admin, clientId, proxyKey(`sk-${randomUUID()}`));
    await receiver.waitFor(4);
    expect(receiver.received.map((r) => r.status)).toEqual([500, 500, 500, 200]);
    expect(new Set(receiver.received.map((r) => r.headers["webhook-id"])).size).toBe(1);
    expect(receiver.verified(hook.signingSecret)).toHaveLength(4);
    expect(await webhooks.failedDeliveries(admin, clientId, hook.webhookId)).toEqual([]);
    // Once the delivery in flight is settled, nothing is left to claim, however late.
    await dispatcher.stop();
    expect(await outbox.claim("probe", Date.now() + 3_600_000, 1000, 10)).toEqual([]);
  });

  it("gives up after the last attempt: the delivery is listed as failed with the class of its error", async () => {
    const { service, webhooks, receiver, clientId } = await setup({
      maxAttempts: 3,
      baseDelayMs: 10,
      maxDelayMs: 40,
    });
    receiver.answer(() => 503);
    const hook = await webhooks.create(admin, clientId, {
      url: receiver.url,
      eventTypes: ["credential.created"],
    });
    const credential = await service.create(admin, clientId, proxyKey(`sk-${randomUUID()}`));
    await receiver.waitFor(3);
    await expect
      .poll(() => webhooks.failedDeliveries(admin, clientId, hook.webhookId))
      .toEqual([
        expect.objectContaining({
          webhookId: hook.webhookId,
          eventType: "credential.created",
          credentialId: credential.credentialId,
          attempts: 3,
          lastError: "http_503",
        }),
      ]);
    expect(receiver.received).toHaveLength(3);
  });

  it("classes a failed attempt by the error's code and name, never its message", async () => {
    const outbox = memoryEventOutbox();
    const keyring = testKeyring();
    const policy = createAddressPolicy(["127.0.0.1"]);
    const webhooks = createWebhookService({ outbox, keyring, policy });
    const clientId = `c-${randomUUID()}`;
    const hook = await webhooks.create(admin, clientId, {
      url: "http://127.0.0.1:9/hook",
      eventTypes: ["credential.created"],
    });
    const failures: [string, unknown][] = [
      ["timeout", new CredkitError("UPSTREAM_ERROR", "no answer in time", { upstreamClass: "timeout" })],
      ["timeout", new DOMException("The operation was aborted due to timeout", "TimeoutError")],
      ["timeout", new DOMException("stopped", "AbortError")],
      // A message that merely mentions aborting or timing out is not a timeout.
      ["network", new Error("connection reset while the timer was aborted; timed out? no")],
      [
        "network",
        new CredkitError("UPSTREAM_ERROR", "Outbound request failed", { upstreamClass: "network" }),
      ],
    ];
    for (const [expected, error] of failures) {
      const dispatcher = createWebhookDispatcher({
        outbox,
        keyring,
        fetch: () => Promise.reject(error),
        retry: { maxAttempts: 1 },
      });
      const entry = outboxEntry(clientId, hook.webhookId);
      await outbox.enqueue([entry]);
      expect(await dispatcher.runOnce()).toBe(1);
      const [latest] = await outbox.listFailed(clientId, hook.webhookId, 1);
      expect([latest?.event.data.credentialId, latest?.lastError]).toEqual([
        entry.event.data.credentialId,
        expected,
      ]);
    }
  });

  it("refuses URLs the outbound policy refuses, at creation for addresses and at delivery for names", async () => {
    const { service, webhooks, receiver, clientId } = await setup({ maxAttempts: 1 }, []);
    for (const url of [
      "http://10.0.0.7/hook",
      "http://169.254.169.254/latest",
      "http://[::1]:8080/",
      receiver.url,
    ]) {
      await expect(
        webhooks.create(admin, clientId, { url, eventTypes: ["credential.created"] }),
      ).rejects.toMatchObject({
        code: "VALIDATION_ERROR",
        errors: [expect.objectContaining({ path: "url" })],
      });
    }
    const byName = await webhooks.create(admin, clientId, {
      url: receiver.url.replace("127.0.0.1", "localhost"),
      eventTypes: ["credential.created"],
    });
    await service.create(admin, clientId, proxyKey(`sk-${randomUUID()}`));
    await expect
      .poll(() => webhooks.failedDeliveries(admin, clientId, byName.webhookId))
      .toEqual([expect.objectContaining({ lastError: "refused", attempts: 1 })]);
    expect(receiver.received).toEqual([]);
  });

  it("validates the body, naming the field; bounds webhooks per client; checks tenancy", async () => {
    const { webhooks, clientId } = await setup();
    const cases: [unknown, string][] = [
      [{ eventTypes: ["credential.created"] }, "url"],
      [{ url: "ftp://example.com/x", eventTypes: ["credential.created"] }, "url"],
      [{ url: "https://user:pass@example.com/x", eventTypes: ["credential.created"] }, "url"],
      [{ url: "https://token@example.com/x", eventTypes: ["credential.created"] }, "url"],
      [{ url: "https://example.com/x", eventTypes: [] }, "eventTypes"],
      [{ url: "https://example.com/x", eventTypes: ["credential.exploded"] }, "eventTypes.0"],
      [{ url: "https://example.com/x", eventTypes: ["credential.created"], secret: "mine" }, "body"],
      [{ url: `https://example.com/${"a".repeat(3000)}`, eventTypes: ["credential.created"] }, "url"],
    ];
    for (const [body, path] of cases) {
      await expect(webhooks.create(admin, clientId, body)).rejects.toMatchObject({
        code: "VALIDATION_ERROR",
        errors: expect.arrayContaining([expect.objectContaining({ path })]),
      });
    }
    for (let i = 0; i < 20; i++) {
      await webhooks.create(admin, clientId, {
        url: `https://example.com/${i}?from=a@b`, // an @ outside the authority is no password
        eventTypes: ["credential.created"],
      });
    }
    await expect(
      webhooks.create(admin, clientId, { url: "https://example.com/21", eventTypes: ["credential.created"] }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    const stranger = { userId: "mallory", clientIds: ["other"] };
    await expect(webhooks.list(stranger, clientId)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(webhooks.delete(admin, clientId, "wh_missing")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(webhooks.failedDeliveries(admin, clientId, "wh_missing")).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("fails a delivery whose signing secret cannot be opened, after its attempts, instead of retrying forever", async () => {
    const { service, outbox, receiver, clientId } = await setup({
      maxAttempts: 2,
      baseDelayMs: 10,
      maxDelayMs: 20,
    });
    await outbox.saveWebhook({
      clientId,
      webhookId: "wh_sealed_elsewhere",
      url: receiver.url,
      eventTypes: ["credential.created"],
      secret: "ck1.gone.AAAA.AAAA.AAAA",
      userId: "alice",
      createdAt: new Date().toISOString(),
    });
    await service.create(admin, clientId, proxyKey(`sk-${randomUUID()}`));
    await expect
      .poll(() => outbox.listFailed(clientId, "wh_sealed_elsewhere", 10))
      .toEqual([expect.objectContaining({ attempts: 2, lastError: "secret_unavailable" })]);
    expect(receiver.received).toEqual([]);
  });

  it("waits exponentially longer between attempts, with jitter in the upper half, up to the cap", () => {
    const schedule = DEFAULT_RETRY_SCHEDULE;
    expect([1, 2, 3, 4].map((n) => retryDelayMs(schedule, n, () => 0))).toEqual([2500, 5000, 10_000, 20_000]);
    expect([1, 2, 3, 4].map((n) => retryDelayMs(schedule, n, () => 1))).toEqual([
      5000, 10_000, 20_000, 40_000,
    ]);
    expect(retryDelayMs(schedule, 40, () => 1)).toBe(schedule.maxDelayMs);
  });
});
