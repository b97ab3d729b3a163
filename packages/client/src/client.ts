import { type AuthzOptions, type AuthzRequest, type AuthzResult, readAuthzAnswer } from "./authz.js";
import { CredkitApiError } from "./errors.js";
import { authzHeaders } from "./generated/authz-contract.js";
import { type CallOptions, json, type RequestSpec, send, type Transport } from "./http.js";
import { type RetryOptions, retryPolicy } from "./retry.js";
import type {
  AuthType,
  CreateCredentialInput,
  Credential,
  CredentialPage,
  CredentialResponse,
  TargetAuth,
  UpdateCredentialInputOf,
  VerifyRequest,
  VerifyResult,
} from "./types.js";
import type { CreatedWebhook, CreateWebhookInput, FailedDelivery, Webhook } from "./webhooks.js";

/** Options of {@link createCredkitClient}. */
export interface CredkitClientOptions {
  /** The API's base URL, mount path included, e.g. `http://localhost:8080/api`. */
  baseUrl: string;
  /** A user token of `CREDKIT_USER_TOKENS` (sent as `Authorization: Bearer <token>`). */
  token: string;
  /** Default deadline per call, retries included. Default 30 000 ms; each call may set its own. */
  timeoutMs?: number;
  /** Retries of 429/503 (Retry-After honoured, bounded). Default 3 retries; `false` turns them off. */
  retry?: RetryOptions | false;
  /** Headers sent with every call (e.g. a tracing header). */
  headers?: Record<string, string>;
  /** A fetch to use instead of the global one (tests, instrumented fetches, older runtimes). */
  fetch?: typeof fetch;
  /** The data-plane listener, for {@link CredkitClient.authz}. */
  authz?: AuthzOptions;
}

/** Query of a list call. */
export interface ListOptions {
  /** Include pending temporary credentials. Default false. */
  includeTemporary?: boolean;
  /** Include credentials past their `expiresAt` that the server still keeps. Default false. */
  includeExpired?: boolean;
  /** Page size, 1-1000 (server default 1000). */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/** What a create or update answers: the credential and, for an oauth2 authorization-code flow, where to send the user. */
export interface CredentialResult {
  credential: Credential;
  authorizationUrl?: string;
  /** True when the server replayed the answer to an earlier request with the same Idempotency-Key. */
  replayed: boolean;
}

/** Options of a create. */
export interface CreateOptions extends CallOptions {
  /** The Idempotency-Key: a fresh random one by default, so a retried create never creates twice; `false` sends none. */
  idempotencyKey?: string | false;
}

/** Options of an update. */
export interface UpdateOptions extends CallOptions {
  /** The `credentialVersion` you read: the update happens only if it is still current (412 otherwise). */
  ifMatch?: number;
}

const segment = encodeURIComponent;
const collection = (clientId: string) => `/clients/${segment(clientId)}/credentials`;
const item = (clientId: string, credentialId: string) => `${collection(clientId)}/${segment(credentialId)}`;
const webhooks = (clientId: string) => `/clients/${segment(clientId)}/webhooks`;

function firstCredential(res: Response, body: CredentialResponse): CredentialResult {
  const credential = body.credentials[0];
  if (!credential) {
    throw new CredkitApiError(res.status, {
      code: "INVALID_RESPONSE",
      message: "The answer has no credential",
    });
  }
  return {
    credential,
    ...(body.authorizationUrl ? { authorizationUrl: body.authorizationUrl } : {}),
    replayed: res.headers.get("idempotent-replayed") === "true",
  };
}

/** A typed client of the credkit server, on `fetch` (Node 20+, browsers, edge runtimes). */
export function createCredkitClient(options: CredkitClientOptions) {
  const transport: Transport = {
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    headers: { Authorization: `Bearer ${options.token}`, ...options.headers },
    timeoutMs: options.timeoutMs ?? 30_000,
    retry: retryPolicy(options.retry),
  };
  const call = <T>(spec: RequestSpec, callOptions: CallOptions = {}) =>
    send(transport, spec, callOptions, (res) => json<T>(res));
  const withResponse = (spec: RequestSpec, callOptions: CallOptions = {}) =>
    send(transport, spec, callOptions, async (res) =>
      firstCredential(res, await json<CredentialResponse>(res)),
    );

  function listQuery(query: ListOptions) {
    return {
      includeTemporary: query.includeTemporary === undefined ? undefined : String(query.includeTemporary),
      includeExpired: query.includeExpired === undefined ? undefined : String(query.includeExpired),
      limit: query.limit === undefined ? undefined : String(query.limit),
      cursor: query.cursor,
    };
  }

  const client = {
    /** One page of a client's credentials (metadata only); `nextCursor` when more follow. */
    listCredentials(clientId: string, query: ListOptions = {}, callOptions?: CallOptions) {
      return call<CredentialPage>(
        { method: "GET", path: collection(clientId), query: listQuery(query) },
        callOptions,
      );
    },

    /** Every page of a client's credentials, fetched one after the other as you iterate. */
    async *listPages(
      clientId: string,
      query: Omit<ListOptions, "cursor"> = {},
      callOptions?: CallOptions,
    ): AsyncGenerator<CredentialPage, void, undefined> {
      let cursor: string | undefined;
      do {
        const page = await client.listCredentials(
          clientId,
          { ...query, ...(cursor ? { cursor } : {}) },
          callOptions,
        );
        yield page;
        cursor = page.nextCursor;
      } while (cursor);
    },

    /** Every credential of a client, across pages: `for await (const c of client.listAll("acme"))`. */
    async *listAll(
      clientId: string,
      query: Omit<ListOptions, "cursor"> = {},
      callOptions?: CallOptions,
    ): AsyncGenerator<Credential, void, undefined> {
      for await (const page of client.listPages(clientId, query, callOptions)) yield* page.credentials;
    },

    /** Creates a credential; its secret is encrypted at rest and never comes back. */
    createCredential(
      clientId: string,
      body: CreateCredentialInput,
      { idempotencyKey, ...rest }: CreateOptions = {},
    ) {
      const key = idempotencyKey === undefined ? globalThis.crypto.randomUUID() : idempotencyKey;
      return withResponse(
        {
          method: "POST",
          path: collection(clientId),
          body,
          ...(key === false ? {} : { headers: { "Idempotency-Key": key } }),
        },
        rest,
      );
    },

    /** One credential (metadata only). */
    async getCredential(
      clientId: string,
      credentialId: string,
      callOptions?: CallOptions,
    ): Promise<Credential> {
      return (await withResponse({ method: "GET", path: item(clientId, credentialId) }, callOptions))
        .credential;
    },

    /**
     * A partial update; with `ifMatch` a compare-and-set (CredkitApiError 412 when the version moved).
     * A body naming its `authType` (or a call naming `A`) has its `secret` checked against that type.
     */
    updateCredential<A extends AuthType = AuthType>(
      clientId: string,
      credentialId: string,
      body: UpdateCredentialInputOf<A>,
      { ifMatch, ...rest }: UpdateOptions = {},
    ) {
      return withResponse(
        {
          method: "PUT",
          path: item(clientId, credentialId),
          body,
          ...(ifMatch === undefined ? {} : { headers: { "If-Match": String(ifMatch) } }),
        },
        rest,
      );
    },

    /** Deletes a credential. */
    async deleteCredential(clientId: string, credentialId: string, callOptions?: CallOptions): Promise<void> {
      await call({ method: "DELETE", path: item(clientId, credentialId) }, callOptions);
    },

    /** Checks an incoming request's headers against the client's proxy credentials (a refusal is an answer). */
    verify(clientId: string, request: VerifyRequest, callOptions?: CallOptions) {
      return call<VerifyResult>(
        { method: "POST", path: `/clients/${segment(clientId)}/verify`, body: request },
        callOptions,
      );
    },

    /** The headers/query to add to an outbound request (needs a token with the `resolve` scope). */
    resolve(clientId: string, credentialId: string, callOptions?: CallOptions) {
      return call<TargetAuth>(
        { method: "POST", path: `${item(clientId, credentialId)}/resolve` },
        callOptions,
      );
    },

    /** Reports that the upstream refused the token, so the next resolve fetches a new one. */
    async invalidate(clientId: string, credentialId: string, callOptions?: CallOptions): Promise<void> {
      await call({ method: "POST", path: `${item(clientId, credentialId)}/invalidate` }, callOptions);
    },

    /** A client's webhooks (never their signing secrets). */
    async listWebhooks(clientId: string, callOptions?: CallOptions): Promise<Webhook[]> {
      return (await call<{ webhooks: Webhook[] }>({ method: "GET", path: webhooks(clientId) }, callOptions))
        .webhooks;
    },

    /**
     * Subscribes a URL to event types. The answer's `signingSecret` is shown this one time: keep it to
     * verify deliveries with {@link verifyWebhook}.
     */
    async createWebhook(
      clientId: string,
      body: CreateWebhookInput,
      callOptions?: CallOptions,
    ): Promise<CreatedWebhook> {
      const answer = await call<{ webhooks: CreatedWebhook[] }>(
        { method: "POST", path: webhooks(clientId), body },
        callOptions,
      );
      const created = answer.webhooks[0];
      if (!created)
        throw new CredkitApiError(201, { code: "INVALID_RESPONSE", message: "The answer has no webhook" });
      return created;
    },

    /** Deletes a webhook (its queued deliveries are dropped). */
    async deleteWebhook(clientId: string, webhookId: string, callOptions?: CallOptions): Promise<void> {
      await call({ method: "DELETE", path: `${webhooks(clientId)}/${segment(webhookId)}` }, callOptions);
    },

    /** The deliveries to a webhook that were given up on, most recent first. */
    async failedDeliveries(
      clientId: string,
      webhookId: string,
      callOptions?: CallOptions,
    ): Promise<FailedDelivery[]> {
      const path = `${webhooks(clientId)}/${segment(webhookId)}/failed-deliveries`;
      return (await call<{ deliveries: FailedDelivery[] }>({ method: "GET", path }, callOptions)).deliveries;
    },

    /**
     * Asks the data-plane listener (`ANY /authz/{clientId}[/{targetCredentialId}]`) about an incoming
     * request, as nginx `auth_request` or Envoy `ext_authz` would. Needs the client's `authz` option.
     */
    authz(request: AuthzRequest, callOptions: CallOptions = {}): Promise<AuthzResult> {
      const authz = options.authz;
      if (!authz)
        throw new TypeError("createCredkitClient({ authz: { baseUrl, token } }) is needed for authz()");
      const path = `/authz/${segment(request.clientId)}${
        request.targetCredentialId ? `/${segment(request.targetCredentialId)}` : ""
      }`;
      return send(
        { ...transport, baseUrl: authz.baseUrl.replace(/\/+$/, ""), headers: {} },
        {
          method: request.method ?? "GET",
          path,
          headers: { ...request.headers, [authzHeaders.token]: authz.token },
        },
        callOptions,
        readAuthzAnswer,
      );
    },
  };
  return client;
}

/** The client {@link createCredkitClient} returns. */
export type CredkitClient = ReturnType<typeof createCredkitClient>;
