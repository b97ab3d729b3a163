import request from "supertest";
import { describe, expect, it } from "vitest";
import { testApp, tokens } from "./app.js";

const auth = { Authorization: tokens.admin };

describe("POST /clients/{clientId}/verify", () => {
  it("answers 200 with allowed true or false, never an error for a bad credential", async () => {
    const { app } = testApp();
    await request(app)
      .post("/api/clients/acme/credentials")
      .set(auth)
      .send({
        credentialName: "k",
        credentialType: "proxy",
        authType: "apiKey",
        region: "eu-west-1",
        secret: { keyName: "X-Api-Key", keyValue: "VERIFY-SECRET-LONG-ENOUGH" },
      })
      .expect(201);
    const ok = await request(app)
      .post("/api/clients/acme/verify")
      .set(auth)
      .send({ headers: { "X-Api-Key": "VERIFY-SECRET-LONG-ENOUGH", "user-agent": "test" } })
      .expect(200);
    expect(ok.body).toMatchObject({ allowed: true, credential: { credentialAuthType: "apiKey" } });
    expect(ok.text).not.toContain("VERIFY-SECRET-LONG-ENOUGH");
    const no = await request(app)
      .post("/api/clients/acme/verify")
      .set(auth)
      .send({ headers: { "X-Api-Key": "wrong" } })
      .expect(200);
    expect(no.body).toEqual({ allowed: false, reason: "NO_CREDENTIAL" });
  });

  it("checks tenancy and the body", async () => {
    const { app } = testApp();
    await request(app)
      .post("/api/clients/other/verify")
      .set("Authorization", tokens.acme)
      .send({ headers: {} })
      .expect(403);
    await request(app).post("/api/clients/acme/verify").send({ headers: {} }).expect(401);
    const bad = await request(app)
      .post("/api/clients/acme/verify")
      .set(auth)
      .send({ header: {} })
      .expect(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(["headers"]));
  });
});
