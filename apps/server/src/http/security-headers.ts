import type { IncomingMessage, ServerResponse } from "node:http";
import helmet from "helmet";

/**
 * The headers helmet's defaults set, captured once by running helmet against a recording response:
 * helmet stays the one source of what they are, and a request pays for a loop of `setHeader` (in
 * `requestContext`) instead of helmet's twelve middlewares, whose output never changes per request.
 */
export function helmetHeaders(): readonly (readonly [string, string])[] {
  const headers: [string, string][] = [];
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.push([name, String(value)]);
    },
    removeHeader() {},
    getHeader: () => undefined,
  } as unknown as ServerResponse;
  let done = false;
  helmet()({ headers: {}, method: "GET", url: "/" } as IncomingMessage, recorder, () => {
    done = true;
  });
  // helmet calls `next` synchronously; if a later version did not, the list would be incomplete.
  if (!done) throw new Error("helmet did not finish synchronously: its headers cannot be precomputed");
  return headers;
}
