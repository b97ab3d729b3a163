import { isCredkitError } from "./errors.js";
import type { CallContext } from "./record.js";
import type { CredentialService } from "./service.js";

/** What an audit event records. */
export type AuditAction =
  | "credential.create"
  | "credential.update"
  | "credential.delete"
  | "credential.consume"
  | "credential.resolve"
  | "oauth.complete"
  | "authorization.failed";

/**
 * One audit event: who did what to which credential, with what outcome, when. Never a secret: ids,
 * codes and names only. `userId` and `requestId` come from the actor or call context the caller gave.
 */
export interface AuditEvent {
  time: string;
  action: AuditAction;
  outcome: "success" | "failure";
  /** The acting user; absent where no user acts (a proxy's verification, an OAuth callback). */
  userId?: string;
  clientId?: string;
  credentialId?: string;
  /** The error code of a failure. */
  code?: string;
  requestId?: string;
}

/** The user and request an event is about, from an actor or call context, without empty fields. */
function who(context: CallContext | undefined): Pick<AuditEvent, "userId" | "requestId"> {
  return {
    ...(context?.userId ? { userId: context.userId } : {}),
    ...(context?.requestId ? { requestId: context.requestId } : {}),
  };
}

/** Where audit events go (a log, a queue, a table). `record` must not throw and should not block. */
export interface AuditSink {
  record(event: AuditEvent): void;
}

/**
 * The service with every create, update, delete, single-use consumption, target resolution and OAuth
 * completion recorded to `sink`, successes and failures alike. The wrapped service is unchanged.
 */
export function withAudit(
  service: CredentialService,
  sink: AuditSink,
  now: () => number = Date.now,
): CredentialService {
  const emit = (event: Omit<AuditEvent, "time">) =>
    sink.record({ time: new Date(now()).toISOString(), ...event });
  /** Runs `work`, recording its outcome (and rethrowing a failure untouched). */
  async function audited<T>(
    base: Omit<AuditEvent, "time" | "outcome">,
    work: () => Promise<T>,
    learned?: (result: T) => Pick<AuditEvent, "clientId" | "credentialId">,
  ): Promise<T> {
    try {
      const result = await work();
      emit({ ...base, outcome: "success", ...learned?.(result) });
      return result;
    } catch (error) {
      emit({ ...base, outcome: "failure", code: isCredkitError(error) ? error.code : "INTERNAL" });
      throw error;
    }
  }

  return {
    ...service,
    create: (actor, clientId, body) =>
      audited(
        { action: "credential.create", ...who(actor), clientId },
        () => service.create(actor, clientId, body),
        (created) => ({ credentialId: created.credentialId }),
      ),
    update: (actor, clientId, credentialId, body, options) =>
      audited({ action: "credential.update", ...who(actor), clientId, credentialId }, () =>
        service.update(actor, clientId, credentialId, body, options),
      ),
    delete: (actor, clientId, credentialId) =>
      audited({ action: "credential.delete", ...who(actor), clientId, credentialId }, () =>
        service.delete(actor, clientId, credentialId),
      ),
    async verifyProxyRequest(clientId, request, context) {
      const result = await service.verifyProxyRequest(clientId, request, context);
      // A successful verification of a single-use credential consumed it.
      if (result.ok && result.credential.credentialSingleUse) {
        emit({
          action: "credential.consume",
          outcome: "success",
          ...who(context),
          clientId,
          credentialId: result.credential.credentialId,
        });
      }
      return result;
    },
    resolveTargetAuth: (clientId, credentialId, context) =>
      audited({ action: "credential.resolve", ...who(context), clientId, credentialId }, () =>
        service.resolveTargetAuth(clientId, credentialId, context),
      ),
    completeAuthorization: (callback, context) =>
      audited(
        { action: "oauth.complete", ...who(context) },
        () => service.completeAuthorization(callback, context),
        (completed) => ({ clientId: completed.clientId, credentialId: completed.credentialId }),
      ),
  };
}
