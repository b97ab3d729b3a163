import { Counter, type Registry } from "prom-client";

/**
 * `credkit_authz_requests_total{status,reason}`: answers of the data-plane listener, by status and by
 * why (`ALLOWED`, a refusal reason such as `PROXY_TOKEN_INVALID` or `NO_CREDENTIAL`, or what was wrong
 * with the request itself), so a broken gateway token and bad end-client keys are not both just "401".
 * The hot path bumps a plain number per pair; prom-client sees the sums only when scraped.
 */
export function authzAnswerCounter(registry: Registry): (status: number, reason: string) => void {
  // By status, then by reason: both are read as they are (a key made of the two was a string built and
  // hashed on every answer).
  const pending = new Map<number, Map<string, { status: string; reason: string; count: number }>>();
  new Counter({
    name: "credkit_authz_requests_total",
    help: "Answers of the authz (data-plane) listener by HTTP status and reason",
    labelNames: ["status", "reason"] as const,
    registers: [registry],
    collect() {
      for (const byReason of pending.values())
        for (const { status, reason, count } of byReason.values()) this.inc({ status, reason }, count);
      pending.clear();
    },
  });
  return (status, reason) => {
    let byReason = pending.get(status);
    if (byReason === undefined) {
      byReason = new Map();
      pending.set(status, byReason);
    }
    const entry = byReason.get(reason);
    if (entry) entry.count++;
    else byReason.set(reason, { status: String(status), reason, count: 1 });
  };
}
