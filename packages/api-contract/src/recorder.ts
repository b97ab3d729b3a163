import type { IncomingMessage, ServerResponse } from "node:http";
import type { ResponseContract } from "./responses.js";

/**
 * A Node/Express middleware, mounted first, that checks every answer the app sends against the contract
 * as it ends, and keeps what is wrong in `violations` (a test's afterEach asserts it is empty: the
 * middleware cannot fail the test itself).
 */
export function contractRecorder(contract: ResponseContract) {
  const violations: string[] = [];
  function middleware(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    const method = req.method ?? "GET";
    const url = req.url ?? "/";
    const chunks: Buffer[] = [];
    const keep = (chunk: unknown, encoding: unknown) => {
      if (chunk === undefined || chunk === null || typeof chunk === "function") return;
      chunks.push(
        Buffer.isBuffer(chunk)
          ? chunk
          : Buffer.from(
              chunk as string,
              typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8",
            ),
      );
    };
    // A header handed to `writeHead` alone is sent without being kept (`getHeader` then answers
    // undefined, as Node documents): the content type is read from the call itself too.
    let writtenType: unknown;
    const writeHead = res.writeHead.bind(res);
    res.writeHead = ((status: number, ...rest: unknown[]) => {
      const headers = rest.find((arg) => typeof arg === "object" && arg !== null);
      if (Array.isArray(headers)) {
        for (let i = 0; i + 1 < headers.length; i += 2)
          if (String(headers[i]).toLowerCase() === "content-type") writtenType = headers[i + 1];
      } else if (headers) {
        for (const [name, value] of Object.entries(headers))
          if (name.toLowerCase() === "content-type") writtenType = value;
      }
      return (writeHead as (...args: unknown[]) => ServerResponse)(status, ...rest);
    }) as typeof res.writeHead;
    const write = res.write.bind(res);
    const end = res.end.bind(res);
    res.write = ((chunk: unknown, encoding?: unknown, cb?: unknown) => {
      keep(chunk, encoding);
      return (write as (...args: unknown[]) => boolean)(chunk, encoding, cb);
    }) as typeof res.write;
    res.end = ((chunk?: unknown, encoding?: unknown, cb?: unknown) => {
      keep(chunk, encoding);
      if (method !== "HEAD") {
        const header = res.getHeader("content-type") ?? writtenType;
        violations.push(
          ...contract.problems({
            method,
            url,
            status: res.statusCode,
            contentType: header === undefined ? undefined : String(header),
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      }
      return (end as (...args: unknown[]) => ServerResponse)(chunk, encoding, cb);
    }) as typeof res.end;
    next();
  }
  return {
    middleware,
    violations,
    /** Throws (and forgets them) if any answer broke the contract since the last call. */
    assertClean(): void {
      const found = violations.splice(0);
      if (found.length > 0) throw new Error(`Answers broke the OpenAPI contract:\n${found.join("\n")}`);
    },
  };
}
