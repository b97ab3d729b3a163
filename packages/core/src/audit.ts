import type { ProxyVerdict } from "./authz/authorize.js";
import { decorate, type MethodName } from "./decorate.js";
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
  | "credential.invalidate"
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

/**
 * The `authorization.failed` event of a refused token (UNAUTHORIZED) or access (FORBIDDEN): the user,
 * client and request when known, never the token. The router and the data-plane listener both record it.
 */
export function authorizationFailedEvent(
  code: "UNAUTHORIZED" | "FORBIDDEN",
  about: CallContext & { clientId?: string | undefined },
  now: () => number = Date.now,
): AuditEvent {
  return {
    time: new Date(now()).toISOString(),
    action: "authorization.failed",
    outcome: "failure",
    code,
    ...who(about),
    ...(about.clientId ? { clientId: about.clientId } : {}),
  };
}

/** Where audit events go (a log, a queue, a table). `record` must not throw and should not block. */
export interface AuditSink {
  record(event: AuditEvent): void;
}

/** How one service method is audited: the event it records, or null for a read that changes nothing. */
type AuditPlan<K extends MethodName<CredentialService>> =
  | ((...args: Parameters<CredentialService[K]>) => {
      base: Omit<AuditEvent, "time" | "outcome">;
      /**
       * What only the result tells (the id of what was created or completed); several events when one
       * call did several things (a data-plane pass that spent a credential and resolved a target).
       */
      learned?: (
        result: Awaited<ReturnType<CredentialService[K]>>,
      ) => Partial<AuditEvent> | readonly Partial<AuditEvent>[] | null;
      /** Record only the successes for which `learned` returns an object. */
      onlyWhenLearned?: true;
    })
  | null;

/**
 * Every method of the service, mutating or not, must appear here (the type makes a new method a
 * compile error until it is classified): every call that changes stored state is recorded.
 */
const plans: { [K in MethodName<CredentialService>]: AuditPlan<K> } = {
  list: null,
  get: null,
  health: null,
  // Changes no stored credential: it only emits events (and takes their marker leases).
  sweepExpiries: null,
  create: (actor, clientId) => ({
    base: { action: "credential.create", ...who(actor), clientId },
    learned: (created) => ({ credentialId: created.credentialId }),
  }),
  update: (actor, clientId, credentialId) => ({
    base: { action: "credential.update", ...who(actor), clientId, credentialId },
  }),
  delete: (actor, clientId, credentialId) => ({
    base: { action: "credential.delete", ...who(actor), clientId, credentialId },
  }),
  // A successful verification of a single-use credential consumed it: only that is recorded.
  verifyProxyRequest: (actor, clientId) => ({
    base: { action: "credential.consume", ...who(actor), clientId },
    learned: (result) =>
      result.ok && result.credential.credentialSingleUse
        ? { credentialId: result.credential.credentialId }
        : null,
    onlyWhenLearned: true,
  }),
  // The data plane records what it spent or handed out, nothing for a plain pass or refusal.
  authorizeProxyRequest: (actor, clientId, _request, targetCredentialId) => ({
    base: { action: "credential.resolve", ...who(actor), clientId },
    learned: (verdict) => dataPlaneEvents(verdict, targetCredentialId),
    onlyWhenLearned: true,
  }),
  resolveTargetAuth: (actor, clientId, credentialId) => ({
    base: { action: "credential.resolve", ...who(actor), clientId, credentialId },
  }),
  invalidateTargetToken: (actor, clientId, credentialId) => ({
    base: { action: "credential.invalidate", ...who(actor), clientId, credentialId },
  }),
  completeAuthorization: (_callback, context) => ({
    base: { action: "oauth.complete", ...who(context) },
    learned: (completed) => ({ clientId: completed.clientId, credentialId: completed.credentialId }),
  }),
};

/**
 * A data-plane verdict's events: a spent single-use proxy credential (`credential.consume`), and the
 * named target once the proxy credential passed (`credential.resolve`, a failure with the refusal).
 */
function dataPlaneEvents(verdict: ProxyVerdict, target: string | null | undefined): Partial<AuditEvent>[] {
  const events: Partial<AuditEvent>[] = [];
  if (verdict.consumed && verdict.credentialId !== undefined)
    events.push({ action: "credential.consume", credentialId: verdict.credentialId });
  if (target && (verdict.allowed || verdict.credentialId !== undefined)) {
    events.push(
      verdict.allowed
        ? { credentialId: target }
        : { credentialId: target, outcome: "failure", code: verdict.reason },
    );
  }
  return events;
}

/**
 * The service with every call that changes stored state recorded to `sink` (create, update, delete,
 * single-use consumption, target resolution, token invalidation, OAuth completion), successes and
 * failures alike. Every method and argument is forwarded untouched (see {@link decorate}).
 */
export function withAudit(
  service: CredentialService,
  sink: AuditSink,
  now: () => number = Date.now,
): CredentialService {
  const emit = (event: Omit<AuditEvent, "time">) =>
    sink.record({ time: new Date(now()).toISOString(), ...event });
  return decorate(service, (method, args, invoke) => {
    const plan = (plans[method] as ((...a: unknown[]) => ReturnType<NonNullable<AuditPlan<never>>>) | null)?.(
      ...args,
    );
    if (!plan) return invoke(args);
    return (invoke(args) as Promise<unknown>).then(
      (result) => {
        const learned = plan.learned?.(result as never);
        if (Array.isArray(learned)) {
          for (const event of learned as Partial<AuditEvent>[])
            emit({ ...plan.base, outcome: "success", ...event });
        } else if (!plan.onlyWhenLearned || learned) emit({ ...plan.base, outcome: "success", ...learned });
        return result;
      },
      (error: unknown) => {
        if (!plan.onlyWhenLearned)
          emit({ ...plan.base, outcome: "failure", code: isCredkitError(error) ? error.code : "INTERNAL" });
        throw error;
      },
    ) as ReturnType<typeof invoke>;
  });
}
