import { Writable } from "node:stream";
import type { AuditEvent } from "@credkit/core";
import { describe, expect, it } from "vitest";
import { logAuditSink } from "../src/audit-log.js";
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
