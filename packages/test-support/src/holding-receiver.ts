import { once } from "node:events";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request a {@link HoldingReceiver} got: which path, which delivery, and whether it was answered. */
export interface Arrival {
  path: string;
  webhookId: string;
  answered: boolean;
}

/**
 * A receiver on a loopback port that answers `/ok` at once and holds every other request until the
 * test releases it (a tarpit under the test's control), counting the requests open at once.
 */
export async function startHoldingReceiver() {
  const arrivals: Arrival[] = [];
  const held: { arrival: Arrival; res: ServerResponse }[] = [];
  let open = 0;
  let maxOpen = 0;
  const waiters = new Set<() => void>();
  const changed = () => {
    for (const check of waiters) check();
  };
  const server = createServer((req, res) => {
    open++;
    maxOpen = Math.max(maxOpen, open);
    res.on("close", () => {
      open--;
      changed();
    });
    req.resume();
    req.on("end", () => {
      const arrival = { path: req.url ?? "", webhookId: String(req.headers["webhook-id"]), answered: false };
      arrivals.push(arrival);
      if (arrival.path === "/ok") {
        arrival.answered = true;
        res.writeHead(200).end("ok");
      } else held.push({ arrival, res });
      changed();
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (path: string) => `${base}${path}`,
    arrivals,
    get open() {
      return open;
    },
    get maxOpen() {
      return maxOpen;
    },
    /** Resolves when `ready()` holds, checked at every arrival and every closed request (no polling). */
    until(ready: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
      if (ready()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`Still waiting for ${what} after ${timeoutMs} ms (${arrivals.length} arrivals)`));
        }, timeoutMs);
        const check = () => {
          if (!ready()) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    },
    /** Answers the oldest held request (200), or every held request. */
    release(all = false) {
      for (const { arrival, res } of held.splice(0, all ? held.length : 1)) {
        arrival.answered = true;
        res.writeHead(200).end("ok");
      }
    },
    get heldCount() {
      return held.length;
    },
    async stop() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

/** The receiver {@link startHoldingReceiver} starts. */
export type HoldingReceiver = Awaited<ReturnType<typeof startHoldingReceiver>>;
