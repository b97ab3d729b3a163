import { CredkitError, type PublicCredential } from "@credkit/core";
import * as z from "zod";

/**
 * The JSON answer of a completed callback: what the person completing the flow needs (which credential
 * is now ready, by its name), not the full public view. The callback takes no token, so whoever holds
 * a state learns nothing more about the client (no ids, creator, region or dates).
 */
export const authorizationCompleteResponse = z.object({
  message: z.literal("Success"),
  credentialName: z.string(),
  credentialStatus: z.literal("active"),
});

/** The callback's JSON answer (see {@link authorizationCompleteResponse}). */
export function callbackAnswer(credential: PublicCredential): z.output<typeof authorizationCompleteResponse> {
  return { message: "Success", credentialName: credential.credentialName, credentialStatus: "active" };
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );

/** A single string query value, or undefined (absent, repeated or not a string). */
function single(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/**
 * Reads the OAuth callback's query. When the authorization server sent `error` instead of a code, the
 * answer is AUTHORIZATION_FAILED naming the standard error code (never free text from the query).
 */
export function parseCallbackQuery(query: Record<string, unknown>): { state: string; code: string } {
  const error = single(query.error);
  if (error !== undefined) {
    const code = /^[a-z_]{1,64}$/.test(error) ? ` (${error})` : "";
    throw new CredkitError(
      "AUTHORIZATION_FAILED",
      `The authorization server did not grant access${code}; start the authorization again`,
    );
  }
  return { state: single(query.state) ?? "", code: single(query.code) ?? "" };
}

/** The page the end user's browser shows after a completed authorization: the credential's name only. */
export function renderCallbackPage(credential: PublicCredential): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorization complete</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1b1f24}</style>
</head><body><h1>Authorization complete</h1>
<p>The credential <b>${escapeHtml(credential.credentialName)}</b> is ready to use. You can close this window.</p>
</body></html>`;
}
