import { Counter, type Registry } from "prom-client";

/**
 * `credkit_authz_requests_total{status}`: answers of the data-plane listener. The hot path bumps a
 * plain number per status; prom-client sees the sums only when scraped, so counting costs next to nothing.
 */
export function authzAnswerCounter(registry: Registry): (status: number) => void {
  const pending = new Map<number, number>();
  new Counter({
    name: "credkit_authz_requests_total",
    help: "Answers of the authz (data-plane) listener by HTTP status",
    labelNames: ["status"] as const,
    registers: [registry],
    collect() {
      for (const [status, count] of pending) if (count > 0) this.inc({ status: String(status) }, count);
      pending.clear();
    },
  });
  return (status) => {
    pending.set(status, (pending.get(status) ?? 0) + 1);
  };
}
