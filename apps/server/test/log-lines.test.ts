import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import type { AuditEvent } from "@credkit/core";
import express from "express";
import { describe, expect, it } from "vitest";
import { logAuditSink, requestAuditSlots } from "../src/audit-log.js";
import { requestContext } from "../src/http/request-context.js";
import { createLogger, fixedFieldLogger } from "../src/logger.js";

/** A logger writing into an array of parsed lines. */
function captured(options: Parameters<typeof createLogger>[2] = {}) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger("info", sink, options), lines };
}

describe("log lines", () => {
  it("redacts on the main logger; the fixed-field child keeps the base fields and format", async () => {
    const { logger, lines } = captured();
    logger.info({ body: { secret: "s3cr3t" } }, "mistake");
    fixedFieldLogger(logger).info({ status: 200 }, "request");
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines[0]).toMatchObject({ body: { secret: "[redacted]" }, service: "credkit", level: "info" });
    expect(lines[1]).toMatchObject({ status: 200, service: "credkit", level: "info", msg: "request" });
    expect(String(lines[1]?.time)).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it("has pino's numeric levels and epoch times with CREDKIT_LOG_FORMAT=pino, for pino's own tools", async () => {
    const { logger, lines } = captured({ format: "pino", worker: 2 });
    logger.warn("numbers");
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines[0]).toMatchObject({ level: 40, worker: 2, msg: "numbers" });
    expect(lines[0]?.time).toEqual(expect.any(Number));
  });

  it("writes an audit event's named fields only, whatever else the object carries", async () => {
    const { logger, lines } = captured();
    const event = {
      time: "2026-01-01T00:00:00.000Z",
      action: "credential.created",
      outcome: "success",
      userId: "ops",
      clientId: "acme",
      credentialId: "eu-west-1.q1Xo2cV9aJ3m0Zr7TnB4wA",
      requestId: "r1",
      // Not an AuditEvent field: must never reach the line, redacted or not.
      secret: { token: "s3cr3t" },
    } as unknown as AuditEvent;
    logAuditSink(logger).record(event);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines[0]?.audit).toEqual({
      time: "2026-01-01T00:00:00.000Z",
      action: "credential.created",
      outcome: "success",
      userId: "ops",
      clientId: "acme",
      credentialId: "eu-west-1.q1Xo2cV9aJ3m0Zr7TnB4wA",
      requestId: "r1",
    });
    expect(JSON.stringify(lines)).not.toContain("s3cr3t");
  });
});

/** A promise and what settles it. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/**
 * An app whose `/change` records `events` audit events for its request: after `before` opens, and
 * answers after `after` opens.
 */
async function auditingApp(events: number, before?: Promise<void>, after?: Promise<void>) {
  let entered = 0;
  let recorded = 0;
  const { logger, lines } = captured();
  const slots = requestAuditSlots();
  const audit = logAuditSink(logger, slots);
  const app = express();
  app.use(requestContext({ logger, slots }));
  app.post("/change", async (_req, res) => {
    entered++;
    await before;
    for (let i = 0; i < events; i++, recorded++) {
      audit.record({
        time: new Date().toISOString(),
        action: "credential.create",
        outcome: "success",
        userId: "ops",
        credentialId: `c${i}`,
        requestId: res.locals.requestId as string,
      });
    }
    await after;
    res.status(201).json({ ok: true });
  });
  const server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/change`;
  /** The lines written so far, after the pending writes. */
  const written = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    return lines;
  };
  return {
    url,
    written,
    entered: () => entered,
    recorded: () => recorded,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

describe("a mutation's audit event", () => {
  it("rides on its request's one line", async () => {
    const app = await auditingApp(1);
    const answer = await fetch(app.url, { method: "POST" });
    expect(answer.status).toBe(201);
    const requestId = answer.headers.get("x-request-id");
    await expect.poll(async () => (await app.written()).length).toBe(1);
    expect((await app.written())[0]).toMatchObject({
      msg: "request",
      status: 201,
      requestId,
      audit: { action: "credential.create", credentialId: "c0", requestId },
    });
    await app.close();
  });

  it("gets a line of its own when its request already carries one", async () => {
    const app = await auditingApp(2);
    await fetch(app.url, { method: "POST" });
    await expect.poll(async () => (await app.written()).length).toBe(2);
    const lines = await app.written();
    expect(lines.find((l) => l.msg === "audit")?.audit).toMatchObject({ credentialId: "c1" });
    expect(lines.find((l) => l.msg === "request")?.audit).toMatchObject({ credentialId: "c0" });
    await app.close();
  });

  it("never rides on another request's line when two in flight share a request id", async () => {
    const both = gate();
    const app = await auditingApp(1, both.opened);
    const headers = { "x-request-id": "shared-id" };
    const calls = [fetch(app.url, { method: "POST", headers }), fetch(app.url, { method: "POST", headers })];
    // Both are in flight (their handlers wait on the gate) before either records its event.
    await expect.poll(() => app.entered()).toBe(2);
    both.open();
    await Promise.all(calls);
    await expect.poll(async () => (await app.written()).length).toBe(4);
    const lines = await app.written();
    expect(lines.filter((l) => l.msg === "request" && l.audit !== undefined)).toEqual([]);
    expect(lines.filter((l) => l.msg === "audit")).toHaveLength(2);
    await app.close();
  });

  it("is written alone when the connection closes before the answer", async () => {
    const answer = gate();
    const app = await auditingApp(1, undefined, answer.opened);
    const aborted = new AbortController();
    const call = fetch(app.url, { method: "POST", signal: aborted.signal }).catch(() => "aborted");
    await expect.poll(() => app.recorded()).toBe(1);
    expect(await app.written()).toEqual([]); // waiting for its request's line
    aborted.abort();
    expect(await call).toBe("aborted");
    await expect.poll(async () => (await app.written()).length).toBe(1);
    expect((await app.written())[0]).toMatchObject({ msg: "audit", audit: { credentialId: "c0" } });
    answer.open();
    await app.close();
  });
});
