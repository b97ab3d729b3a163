/** An endpoint of the bundled server outside the credential API: documented on the docs page only. */
export interface ServerEndpoint {
  method: string;
  path: string;
  /** Where it is served (which listener). */
  where: string;
  summary: string;
  /** Statuses and what each means. */
  statuses: readonly (readonly [string, string])[];
  exampleRequest: string;
  exampleResponse: string;
}

/**
 * The data-plane and operational endpoints of the bundled server (`apps/server`). They are not in the
 * OpenAPI document: they sit outside the router's mount path (`/authz` on its own port), answer
 * without a JSON contract (`/metrics` is Prometheus text, an allowed `/authz` answer has no body), and
 * the contract tests leave them alone. docs/proxies.md and docs/operations.md say the rest.
 */
export const serverEndpoints: readonly ServerEndpoint[] = [
  {
    method: "any",
    path: "/authz/{clientId}/{targetCredentialId}",
    where: "The data-plane listener, on its own port (CREDKIT_AUTHZ_PORT; off when unset)",
    summary:
      "For a reverse proxy's auth subrequest: checks the caller's proxy credential in the request's own headers (the same rules as verify) and, when a target is named, answers the target's headers to add. The proxy's own token travels in `X-Credkit-Token`. The target segment is optional (`/authz/{clientId}`; empty or `-` means none), anything after a `/-` segment is ignored, and the body is never read.",
    statuses: [
      ["200", "Allowed: no body; X-Credkit-Credential-Id, the target's headers, X-Credkit-Target-Query"],
      ["400", "The clientId is not one (the message names `clientId`)"],
      ["401", "NO_CREDENTIAL, INVALID or EXPIRED (with WWW-Authenticate), or PROXY_TOKEN_INVALID"],
      ["403", "DENIED, FORBIDDEN, TARGET_NOT_FOUND, REAUTHORIZATION_REQUIRED or TARGET_EXPIRED"],
      ["429", "RATE_LIMITED: this caller address made too many failed attempts; Retry-After"],
      ["431", "More than 200 headers or 16 KiB of them"],
      ["500", "INTERNAL"],
      ["503", "JWKS_UNAVAILABLE, STORAGE_UNAVAILABLE or TARGET_UNAVAILABLE; Retry-After: 1"],
    ],
    exampleRequest:
      "GET /authz/acme/eu-west-1.Zk3vP0sQ8mW1nR5tY7uB2c\nX-Credkit-Token: <the proxy's token>\nX-Api-Key: <the caller's key>",
    exampleResponse:
      "HTTP/1.1 200 OK\nCache-Control: no-store\nX-Credkit-Credential-Id: eu-west-1.q1Xo2cV9aJ3m0Zr7TnB4wA\nAuthorization: Bearer <access token>",
  },
  {
    method: "get",
    path: "/healthz",
    where: "The API port, at the root (an embedder mounts createHealthRouter)",
    summary: "Liveness: answers while the process runs. Logged at debug.",
    statuses: [["200", "The process answers"]],
    exampleRequest: "GET /healthz",
    exampleResponse: 'HTTP/1.1 200 OK\n\n{"status":"ok"}',
  },
  {
    method: "get",
    path: "/readyz",
    where: "The API port, at the root (an embedder mounts createHealthRouter)",
    summary:
      "Readiness: pings every store; each is listed with the regions it serves and `shared` when several regions share it. Logged at debug unless it answers 5xx.",
    statuses: [
      ["200", "Every store answered"],
      ["503", "A store did not answer: the failing stores are listed, never their addresses"],
    ],
    exampleRequest: "GET /readyz",
    exampleResponse:
      'HTTP/1.1 200 OK\n\n{"status":"ready","stores":[{"store":"redis","regions":["eu-west-1"],"shared":false,"ok":true}]}',
  },
  {
    method: "get",
    path: "/metrics",
    where: "The API port, at the root (the bundled server)",
    summary:
      "Prometheus text: requests and durations by route pattern and status, store operations and errors, `credkit_authz_requests_total` by status and reason, verifications, outbound requests, process metrics. Labels never carry ids or secrets.",
    statuses: [["200", "text/plain in the Prometheus exposition format"]],
    exampleRequest: "GET /metrics",
    exampleResponse:
      'HTTP/1.1 200 OK\nContent-Type: text/plain; version=0.0.4\n\ncredkit_authz_requests_total{status="200",reason="ALLOWED"} 1042',
  },
];
