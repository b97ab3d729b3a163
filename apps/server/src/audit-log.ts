import type { AuditEvent, AuditSink } from "@credkit/core";
import type { Logger } from "pino";
import { fixedFieldLogger } from "./logger.js";

/**
 * The server's audit sink: one structured log line (`msg: "audit"`) per event. The line holds the
 * event's named fields only (ids, codes, time: never a secret), so it is written without a redaction
 * pass: nothing else an event object might carry reaches the log.
 */
export function logAuditSink(logger: Logger): AuditSink {
  const lines = fixedFieldLogger(logger);
  return {
    record(event: AuditEvent) {
      const audit: AuditEvent = { time: event.time, action: event.action, outcome: event.outcome };
      if (event.userId !== undefined) audit.userId = event.userId;
      if (event.clientId !== undefined) audit.clientId = event.clientId;
      if (event.credentialId !== undefined) audit.credentialId = event.credentialId;
      if (event.code !== undefined) audit.code = event.code;
      if (event.requestId !== undefined) audit.requestId = event.requestId;
      lines.info({ audit }, "audit");
    },
  };
}
