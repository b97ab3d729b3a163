import { createServer, type RequestListener, type Server } from "node:http";

/**
 * Why a port could not be bound, in words an operator can act on: which variable, which address, what
 * to do. `variable` is the setting that chose the port (`PORT`, `CREDKIT_AUTHZ_PORT`).
 */
export function listenFailure(error: unknown, variable: string, port: number, host: string): Error {
  const code = (error as { code?: unknown } | null)?.code;
  const where = `${host || "all interfaces"} port ${port}`;
  const message =
    code === "EADDRINUSE"
      ? `${where} is already in use (EADDRINUSE): stop the process holding it, or set ${variable} to a free port`
      : code === "EACCES"
        ? `${where} may not be bound by this user (EACCES): use a port above 1023, or set ${variable}`
        : code === "EADDRNOTAVAIL"
          ? `${where}: no interface has this address (EADDRNOTAVAIL): check the host setting`
          : `${where} could not be bound (${typeof code === "string" ? code : "error"}): check ${variable}`;
  return new Error(message, { cause: error });
}

/**
 * Serves `handler` on `port`/`host`, resolving once bound and rejecting with {@link listenFailure} when
 * the port cannot be bound. Express 5's `app.listen` hands a bind error to its callback as an argument,
 * so a callback that only resolves would report a busy port as "listening" and let the process exit 0.
 */
export function listenHttp(
  handler: RequestListener,
  port: number,
  host: string,
  variable: string,
): Promise<Server> {
  const server = createServer(handler);
  return new Promise((resolve, reject) => {
    const onError = (error: unknown) => reject(listenFailure(error, variable, port, host));
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve(server);
    });
  });
}
