import type { ResponseContract } from "./responses.js";

/** A fetch that checks every answer against the contract (throwing on a breach) before handing it back. */
export function validatingFetch(
  contract: ResponseContract,
  base: typeof fetch = globalThis.fetch,
): typeof fetch {
  return async (input, init) => {
    const res = await base(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = init?.method ?? (input instanceof Request ? input.method : "GET");
    if (method.toUpperCase() === "HEAD") return res;
    contract.assert({
      method,
      url: url.pathname,
      status: res.status,
      contentType: res.headers.get("content-type") ?? undefined,
      body: await res.clone().text(),
    });
    return res;
  };
}
