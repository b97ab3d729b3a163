import type { Redis } from "ioredis";

// As soon as possible, but never a busy loop: the first delay of the recommended retry strategy.
const reconnectAfterMs = 100;

/**
 * Keeps a Sentinel client connecting after ioredis gives up by itself, and returns a function that
 * stops doing so: call it before you `disconnect()` or `quit()` the client yourself.
 *
 * Why: with `failoverDetector` (see `redisSentinelOptions`), a Sentinel's `+switch-master` disconnects
 * the client's connector. When that announcement arrives while the client is already reconnecting (it
 * is, after the primary died) and still asking a Sentinel for the primary, ioredis's connect attempt
 * fails with "Connection is closed." and the client ends for good (status `end`): no `retryStrategy`
 * runs, and every later command fails. This connects such a client again, which asks the Sentinels
 * afresh and so finds the new primary.
 */
export function reconnectAfterFailover(client: Redis): () => void {
  let timer: NodeJS.Timeout | undefined;
  const onEnd = () => {
    // One attempt at a time: ends that arrive while one is due change nothing.
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      // A failed attempt ends the client again, and "end" brings us back here.
      client.connect().catch(() => {});
    }, reconnectAfterMs);
  };
  client.on("end", onEnd);
  // Nothing else calls connect(): without the listener and the attempt due, nothing reconnects.
  return () => {
    client.off("end", onEnd);
    clearTimeout(timer);
  };
}
