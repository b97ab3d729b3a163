import { once } from "node:events";
import { connect, createServer, type Socket } from "node:net";

/**
 * A TCP proxy to `host:port` that, once armed, forwards the first client chunk containing `trigger`
 * and then nothing more from any client: the server has received that write and never hears the
 * next. It places a crash between two writes of one request without relying on timing.
 */
export async function freezingProxy(target: { host: string; port: number }, trigger: string) {
  let armed = false;
  let frozen = false;
  let onTriggered: () => void = () => {};
  const triggered = new Promise<void>((resolve) => {
    onTriggered = resolve;
  });
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    client.on("data", (chunk: Buffer) => {
      if (frozen) return;
      upstream.write(chunk);
      if (armed && chunk.includes(trigger)) {
        frozen = true;
        onTriggered();
      }
    });
    upstream.on("data", (chunk) => client.write(chunk));
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      a.on("error", () => b.destroy());
      a.on("close", () => b.destroy());
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no port");
  return {
    port: address.port,
    /** From now on, the first chunk holding `trigger` is the last one forwarded. */
    arm() {
      armed = true;
    },
    /** Resolves once the trigger chunk was forwarded. */
    triggered,
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}
