import { isIP } from "node:net";
import { configError, type Env } from "../env-vars.js";

/** Where the data-plane listener (`/authz/...`) listens; `authzPort` null = off. */
export interface AuthzListenConfig {
  /** `CREDKIT_AUTHZ_PORT`: null when unset (no listener). 0 picks a free port. */
  authzPort: number | null;
  /** `CREDKIT_AUTHZ_HOST`, default `127.0.0.1`: the proxy usually runs beside credkit. */
  authzHost: string;
}

/** Reads `CREDKIT_AUTHZ_PORT` and `CREDKIT_AUTHZ_HOST`, naming the variable at fault. */
export function authzListenConfig(env: Env): AuthzListenConfig {
  const rawPort = env.CREDKIT_AUTHZ_PORT;
  let authzPort: number | null = null;
  if (rawPort !== undefined && rawPort !== "") {
    const port = Number(rawPort);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw configError([{ path: "CREDKIT_AUTHZ_PORT", message: "must be an integer from 0 to 65535" }]);
    }
    authzPort = port;
  }
  const authzHost = env.CREDKIT_AUTHZ_HOST || "127.0.0.1";
  if (isIP(authzHost) === 0 && !/^[A-Za-z0-9.-]{1,253}$/.test(authzHost)) {
    throw configError([{ path: "CREDKIT_AUTHZ_HOST", message: "must be an IP address or a host name" }]);
  }
  return { authzPort, authzHost };
}
