import type { AuditEvent, AuditSink } from "@credkit/core";
import type { Logger } from "pino";
import { fixedFieldLogger } from "./logger.js";

/** Where an API request's audit event waits for the request's own log line. */
export interface AuditSlot {
  audit: AuditEvent | undefined;
}

/**
 * The API requests in flight, by request id, so that the audit event of a mutation rides on its
 * request's one log line instead of a line of its own (a line costs as much CPU as the rest of a GET's
 * logging). A request id is the caller's `X-Request-Id` when it sent one, so two requests in flight may
 * share it: such an id holds no slot (their events get lines of their own, never another request's).
 */
export interface RequestAuditSlots {
  /** A request starts: its slot, or null when another request in flight has its id. */
  open(requestId: string): AuditSlot | null;
  /** The request is answered or gone: its id is free again once no request in flight holds it. */
  close(requestId: string): void;
  /** Puts `audit` in the slot of its request; false when there is none or it holds an event already. */
  attach(audit: AuditEvent): boolean;
}

/** The slots of one server's API requests (see {@link RequestAuditSlots}). */
export function requestAuditSlots(): RequestAuditSlots {
  const open = new Map<string, { slot: AuditSlot | null; holders: number }>();
  return {
    open(requestId) {
      const held = open.get(requestId);
      if (held) {
        held.holders++;
        held.slot = null;
        return null;
      }
      const slot: AuditSlot = { audit: undefined };
      open.set(requestId, { slot, holders: 1 });
      return slot;
    },
    close(requestId) {
      const held = open.get(requestId);
      if (held && --held.holders === 0) open.delete(requestId);
    },
    attach(audit) {
      const slot = audit.requestId === undefined ? undefined : open.get(audit.requestId)?.slot;
      if (!slot || slot.audit !== undefined) return false;
      slot.audit = audit;
      return true;
    },
  };
}

/**
 * The server's audit sink: the event's named fields only (ids, codes, time: never a secret), so the
 * line is written without a redaction pass: nothing else an event object might carry reaches the log.
 * The event of an API request in flight is put on that request's log line (`"msg":"request"`, see
 * `requestContext`); any other (the data plane's, a request's second event) is a line of its own
 * (`"msg":"audit"`). Either way it is the same `audit` object.
 */
export function logAuditSink(logger: Logger, slots?: RequestAuditSlots): AuditSink {
  const lines = fixedFieldLogger(logger);
  return {
    record(event: AuditEvent) {
      const audit: AuditEvent = { time: event.time, action: event.action, outcome: event.outcome };
      if (event.userId !== undefined) audit.userId = event.userId;
      if (event.clientId !== undefined) audit.clientId = event.clientId;
      if (event.credentialId !== undefined) audit.credentialId = event.credentialId;
      if (event.code !== undefined) audit.code = event.code;
      if (event.requestId !== undefined) audit.requestId = event.requestId;
      if (slots?.attach(audit)) return;
      writeAuditLine(lines, audit);
    },
  };
}

/** An audit event's own line, on a fixed-field logger. */
export function writeAuditLine(lines: Logger, audit: AuditEvent): void {
  lines.info({ audit }, "audit");
}
