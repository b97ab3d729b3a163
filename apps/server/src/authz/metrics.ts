import { Counter, type Registry } from "prom-client";

/**
 * `credkit_authz_requests_total{status,reason}`: answers of the data-plane listener, by status and by
 * why (`ALLOWED`, a refusal reason such as `PROXY_TOKEN_INVALID` or `NO_CREDENTIAL`, or what was wrong
 * with the request itself), so a broken gateway token and bad end-client keys are not both just "401".
 * The hot path bumps a plain number per pair; prom-client sees the sums only when scraped.
 */
export function authzAnswerCounter(registry: Registry): (status: number, reason: string) => void {
  const pending = new Map<string, { status: string; reason: string; count: number }>();
  new Counter({
    name: "credkit_authz_requests_total",
    help: "Answers of the authz (data-plane) listener by HTTP status and reason",
    labelNames: ["status", "reason"] as const,
    registers: [registry],
    collect() {
      for (const { status, reason, count } of pending.values()) this.inc({ status, reason }, count);
      pending.clear();
    },
  });
  return (status, reason) => {
    const key = `${status} ${reason}`;
    const entry = pending.get(key);
    if (entry) entry.count++;
    else pending.set(key, { status: String(status), reason, count: 1 });
  };
}
