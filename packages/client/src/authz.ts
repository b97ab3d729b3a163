import { CredkitApiError, parseRetryAfter } from "./errors.js";
import { authzHeaders, reservedAnswerHeaders } from "./generated/authz-contract.js";
import { errorOf } from "./http.js";

/** Where the data-plane listener (`CREDKIT_AUTHZ_PORT`) answers, and the proxy token (scope `authz`). */
export interface AuthzOptions {
  /** e.g. `http://127.0.0.1:8081` (the listener's origin; `/authz/...` is appended). */
  baseUrl: string;
  /** Sent as `X-Credkit-Token`. */
  token: string;
}

/** One data-plane question: may this incoming request through, and with which target headers? */
export interface AuthzRequest {
  clientId: string;
  /** The target credential whose resolved headers the answer should carry. */
  targetCredentialId?: string;
  /** The incoming request's own headers (the end client's credential is read from them). */
  headers: Record<string, string>;
  /** Method to ask with (the listener answers any). Default GET. */
  method?: string;
}

/** The listener's verdict. A refusal is an answer, not an error. */
export type AuthzResult =
  | {
      allowed: true;
      /** The proxy credential that matched (`X-Credkit-Credential-Id`). */
      credentialId: string;
      /** The target's resolved headers to put on the upstream request (names lower-cased by fetch). */
      headers: Record<string, string>;
      /** The target's query parameters to add (`X-Credkit-Target-Query`). */
      query: Record<string, string>;
    }
  | {
      allowed: false;
      status: 401 | 403 | 503;
      reason: string;
      retryAfterSeconds: number | undefined;
    };

// A query string (`a=1&b=2`); a JSON object is read too.
function targetQuery(value: string | null): Record<string, string> {
  if (!value) return {};
  if (!value.trimStart().startsWith("{")) return Object.fromEntries(new URLSearchParams(value));
  try {
    return JSON.parse(value) as Record<string, string>;
  } catch {
    // No cause: V8's SyntaxError quotes the text around the fault, and the query holds target secrets.
    throw new CredkitApiError(200, {
      code: "INVALID_RESPONSE",
      message: "X-Credkit-Target-Query is not readable",
    });
  }
}

/** Reads the listener's answer to an {@link AuthzRequest}. */
export async function readAuthzAnswer(res: Response): Promise<AuthzResult> {
  if (res.status === 200) {
    await res.body?.cancel().catch(() => undefined);
    const headers: Record<string, string> = {};
    res.headers.forEach((value, name) => {
      // Everything else on an allowed answer is the target's: the reserved names are the server's too.
      if (!reservedAnswerHeaders.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
    });
    return {
      allowed: true,
      credentialId: res.headers.get(authzHeaders.credentialId) ?? "",
      headers,
      query: targetQuery(res.headers.get(authzHeaders.targetQuery)),
    };
  }
  if (res.status === 401 || res.status === 403 || res.status === 503) {
    let reason = `HTTP ${res.status}`;
    try {
      const body: unknown = JSON.parse(await res.text());
      const said = (body as { reason?: unknown } | null)?.reason;
      if (typeof said === "string") reason = said;
    } catch {
      // Not the documented shape: the status says enough.
    }
    return {
      allowed: false,
      status: res.status,
      reason,
      retryAfterSeconds: parseRetryAfter(res.headers.get("retry-after")),
    };
  }
  throw await errorOf(res);
}
