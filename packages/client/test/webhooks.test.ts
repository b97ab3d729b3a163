import { once } from "node:events";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import type { EventType } from "@credkit/core";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import {
  createCredkitClient,
  verifyWebhook,
  type WebhookEventType,
  WebhookVerificationError,
} from "../src/index.js";
import { checkedFetch, startCredkit, tokens } from "./support/server.js";

/** A loopback receiver keeping each request's headers and raw body. */
async function startReceiver() {
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  let arrived: () => void = () => {};
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.end("ok");
      arrived();
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    next: () =>
      new Promise<void>((resolve) => {
        arrived = resolve;
      }),
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

let credkit: Awaited<ReturnType<typeof startCredkit>>;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  credkit = await startCredkit({ CREDKIT_OUTBOUND_ALLOW_HOSTS: "127.0.0.1", CREDKIT_WEBHOOK_POLL_MS: "50" });
  receiver = await startReceiver();
});
afterAll(async () => {
  await credkit.stop();
  await receiver.stop();
});

describe("webhooks with @credkit/client", () => {
  it("subscribes, receives a delivery that verifyWebhook accepts, and refuses tampering, stale and foreign signatures", async () => {
    const client = createCredkitClient({
      baseUrl: credkit.baseUrl,
      token: tokens.admin,
      fetch: checkedFetch,
    });
    const clientId = `c-${crypto.randomUUID().slice(0, 8)}`;
    const hook = await client.createWebhook(clientId, {
      url: receiver.url,
      eventTypes: ["credential.created"],
    });
    expect(hook.signingSecret).toMatch(/^whsec_/);
    expect(await client.listWebhooks(clientId)).toEqual([
      expect.objectContaining({ webhookId: hook.webhookId }),
    ]);

    const arrived = receiver.next();
    const created = await client.createCredential(clientId, {
      credentialName: "upstream",
      credentialType: "target",
      authType: "none",
      region: "eu-west-1",
    });
    await arrived;
    const [delivery] = receiver.received;
    const headers = delivery?.headers as Record<string, string>;
    const body = delivery?.body as string;
    const event = await verifyWebhook(hook.signingSecret, headers, body);
    expect(event).toMatchObject({
      type: "credential.created",
      data: { clientId, credentialId: created.credential.credentialId, credentialName: "upstream" },
    });
    expect((await verifyWebhook(hook.signingSecret, new Headers(headers), body)).id).toBe(event.id);

    const refusals = [
      () => verifyWebhook(hook.signingSecret, headers, body.replace("upstream", "upstreaM")),
      () => verifyWebhook(`whsec_${btoa("another secret of 32 bytes......")}`, headers, body),
      () => verifyWebhook(hook.signingSecret, headers, body, { now: Date.now() + 3_600_000 }),
      () => verifyWebhook(hook.signingSecret, { ...headers, "webhook-signature": "" }, body),
      () => verifyWebhook(hook.signingSecret, { ...headers, "webhook-id": "evt_other" }, body),
    ];
    for (const refusal of refusals) await expect(refusal()).rejects.toBeInstanceOf(WebhookVerificationError);

    expect(await client.failedDeliveries(clientId, hook.webhookId)).toEqual([]);
    await client.deleteWebhook(clientId, hook.webhookId);
    expect(await client.listWebhooks(clientId)).toEqual([]);
  });

  it("names the same event types as the server", () => {
    expectTypeOf<WebhookEventType>().toEqualTypeOf<EventType>();
  });
});
