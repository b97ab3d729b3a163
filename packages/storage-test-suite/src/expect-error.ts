import type { ErrorCode } from "@credkit/core";
import { expect } from "vitest";

/**
 * Asserts that `promise` rejects with a CredkitError of `code`. Matches by name and code rather than
 * `instanceof`, so a second copy of @credkit/core in the module graph cannot fail a correct store.
 */
export async function expectCredkitError(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: "CredkitError", code });
}

/** Asserts that every rejection among `results` is a CredkitError of `code`; returns the fulfilled values. */
export function fulfilledOrCode<T>(results: PromiseSettledResult<T>[], code: ErrorCode): T[] {
  const values: T[] = [];
  for (const result of results) {
    if (result.status === "fulfilled") values.push(result.value);
    else expect(result.reason).toMatchObject({ name: "CredkitError", code });
  }
  return values;
}
