import { describe, expect, it } from "vitest";
import {
  CredkitError,
  createdWebhook,
  createWebhookBody,
  failedDelivery,
  parseOrThrow,
  publicWebhook,
} from "../src/index.js";

/** Every field error of a webhook body, or none. */
const errorsOf = (url: string) => {
  try {
    parseOrThrow(createWebhookBody, { url, eventTypes: ["credential.created"] });
    return [];
  } catch (error) {
    if (!(error instanceof CredkitError)) throw error;
    return error.errors;
  }
};

describe("webhook URL", () => {
  it("refuses a user info written but empty, which the URL parser drops (`:@`)", () => {
    // The parser reads no user name or password here; the URL as written still carries them.
    expect(new URL("https://:@h.example/in").username).toBe("");
    expect(errorsOf("https://:@h.example/in")).toEqual([
      { path: "url", message: "must not carry a user name or password" },
    ]);
  });

  it("refuses a URL that does not parse for what it is, as a 4xx, never a thrown TypeError", () => {
    // z.url refuses it, and the user-info check still runs on it: it must not `new URL` what cannot parse.
    expect(errorsOf("https://h.example:99999/in")).toEqual([
      { path: "url", message: "must be an absolute http(s) URL" },
    ]);
  });
});

// The answer schemas are what @credkit/express's OpenAPI document shows for the webhook routes; core
// holds them to what they promise: every field shown, the signing secret only in the create answer.
const webhook = {
  webhookId: "wh_1",
  clientId: "client-1",
  url: "https://h.example/in",
  eventTypes: ["credential.created", "credential.deleted"],
  userId: "user-1",
  webhookCreatedAt: "2030-01-01T00:00:00.000Z",
};

describe("webhook answers", () => {
  it("shows every field of a webhook and never its signing secret", () => {
    expect(publicWebhook.parse({ ...webhook, signingSecret: "whsec_c2VjcmV0" })).toEqual(webhook);
  });

  it("shows the signing secret in the create answer, beside every field", () => {
    const created = { ...webhook, signingSecret: "whsec_c2VjcmV0" };
    expect(createdWebhook.parse(created)).toEqual(created);
    expect(createdWebhook.safeParse(webhook).success).toBe(false);
  });

  it("shows a failed delivery whole: its attempts a whole number, its event type a known one", () => {
    const delivery = {
      deliveryId: "d_1",
      webhookId: "wh_1",
      eventId: "e_1",
      eventType: "credential.created",
      credentialId: "cred-1",
      attempts: 8,
      lastError: "http_5xx",
      failedAt: "2030-01-01T00:00:00.000Z",
    };
    expect(failedDelivery.parse(delivery)).toEqual(delivery);
    expect(failedDelivery.safeParse({ ...delivery, attempts: 1.5 }).success).toBe(false);
    expect(failedDelivery.safeParse({ ...delivery, eventType: "credential.exploded" }).success).toBe(false);
  });
});
