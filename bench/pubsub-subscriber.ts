// A child process subscribed to one Redis channel that reports each message's arrival time to its
// parent: the bare pub/sub hop the near cache's revocation is compared with.
import { Redis } from "ioredis";

const [url, channel] = process.argv.slice(2) as [string, string];
const subscriber = new Redis(url);
subscriber.on("message", (_channel: string, message: string) => {
  process.send?.({ message, at: performance.timeOrigin + performance.now() });
});
await subscriber.subscribe(channel);
process.on("disconnect", () => process.exit(0));
process.send?.("ready");
