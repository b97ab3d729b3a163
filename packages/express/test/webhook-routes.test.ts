import { randomBytes } from "node:crypto";
import { createAddressPolicy, createKeyring, createWebhookService } from "@credkit/core";
import { memoryEventOutbox } from "@credkit/storage-memory";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { testApp, tokens } from "./app.js";

function webhookApp() {
  const outbox = memoryEventOutbox();
  const webhooks = createWebhookService({
    outbox,
    keyring: createKeyring({ activeKeyId: "k1", keys: [{ id: "k1", key: randomBytes(32) }] }),
    policy: createAddressPolicy(),
  });
  return { ...testApp({ webhooks }), outbox };
}

const body = { url: "https://hooks.example.com/credkit", eventTypes: ["credential.created"] };

describe("webhook routes", () => {
  it("creates (the signing secret shown this once), lists without it, lists failed deliveries, deletes", async () => {
    const { app, outbox } = webhookApp();
    const created = await request(app)
      .post("/api/clients/acme/webhooks")
      .set("Authorization", tokens.acme)
      .send(body)
      .expect(201);
    const [hook] = created.body.webhooks;
    expect(hook).toMatchObject({
      clientId: "acme",
      url: body.url,
      eventTypes: ["credential.created"],
      userId: "acme-user",
    });
    expect(hook.signingSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created.headers["cache-control"]).toBe("no-store");

    const listed = await request(app)
      .get("/api/clients/acme/webhooks")
      .set("Authorization", tokens.acme)
      .expect(200);
    expect(listed.body).toEqual({ webhooks: [{ ...hook, signingSecret: undefined }], message: "Success" });
    expect(JSON.stringify(listed.body)).not.toContain(hook.signingSecret);
    const stored = JSON.stringify(await outbox.listWebhooks("acme"));
    expect(stored).not.toContain(hook.signingSecret.slice("whsec_".length));

    const failed = await request(app)
      .get(`/api/clients/acme/webhooks/${hook.webhookId}/failed-deliveries`)
      .set("Authorization", tokens.acme)
      .expect(200);
    expect(failed.body).toEqual({ deliveries: [], message: "Success" });

    await request(app)
      .delete(`/api/clients/acme/webhooks/${hook.webhookId}`)
      .set("Authorization", tokens.acme)
      .expect(200);
    await request(app)
      .delete(`/api/clients/acme/webhooks/${hook.webhookId}`)
      .set("Authorization", tokens.acme)
      .expect(404);
    await request(app)
      .get(`/api/clients/acme/webhooks/${hook.webhookId}/failed-deliveries`)
      .set("Authorization", tokens.acme)
      .expect(404);
  });

  it("answers bad input with a 400 naming the field, other tenants with 403, no token with 401", async () => {
    const { app } = webhookApp();
    const refused = async (sent: unknown, path: string) => {
      const res = await request(app)
        .post("/api/clients/acme/webhooks")
        .set("Authorization", tokens.acme)
        .send(sent as object);
      expect(res.status, JSON.stringify(sent)).toBe(400);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    };
    await refused({ ...body, url: "http://169.254.169.254/latest/meta-data" }, "url");
    await refused({ ...body, url: "http://127.0.0.1:6379/" }, "url");
    await refused({ ...body, url: "javascript:alert(1)" }, "url");
    await refused({ ...body, eventTypes: ["credential.*"] }, "eventTypes.0");
    await refused({ ...body, eventTypes: "credential.created" }, "eventTypes");
    await refused({ url: body.url }, "eventTypes");
    await request(app)
      .post("/api/clients/other/webhooks")
      .set("Authorization", tokens.acme)
      .send(body)
      .expect(403);
    await request(app).get("/api/clients/other/webhooks").set("Authorization", tokens.acme).expect(403);
    await request(app).get("/api/clients/acme/webhooks").expect(401);
  });

  it("answers 404 when the host did not enable webhooks", async () => {
    const { app } = testApp();
    const res = await request(app)
      .get("/api/clients/acme/webhooks")
      .set("Authorization", tokens.acme)
      .expect(404);
    expect(res.body.message).toBe("Webhooks are not enabled on this server");
  });
});
