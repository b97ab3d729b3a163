import { randomFillSync } from "node:crypto";

/** Bytes drawn from the operating system's CSPRNG at once: one call serves ~200 ids and IVs. */
const POOL_BYTES = 4096;

let pool = Buffer.alloc(0);
let offset = 0;

/**
 * `size` bytes from the CSPRNG, served from a pool that one `randomFillSync` refills per 4 KiB, so a
 * create (an id and an IV) does not pay for two calls into the OS generator (Node's own `randomUUID`
 * pools the same way). Each byte is handed out once; a refill takes a new buffer, so bytes already
 * handed out are never overwritten. The result is a view of the pool: use it at once (encode it, pass it
 * to a cipher, which copies it) or copy it.
 */
export function pooledRandomBytes(size: number): Buffer {
  // Stryker disable next-line EqualityOperator: a request of exactly POOL_BYTES takes one fill of that size either way
  if (size > POOL_BYTES) return randomFillSync(Buffer.allocUnsafe(size));
  if (offset + size > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + size);
  offset += size;
  return bytes;
}
