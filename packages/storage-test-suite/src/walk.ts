import type { CredentialStore, Page, StoredCredential } from "@credkit/core";
import { expect } from "vitest";

// A cursor that never ends would hang the run; no test store legitimately needs this many pages.
const maxPages = 10_000;

/** Every item and page of a walk that followed cursors until null. */
export interface Walk {
  items: StoredCredential[];
  pages: Page[];
}

async function walk(limit: number, fetchPage: (cursor: string | undefined) => Promise<Page>): Promise<Walk> {
  const items: StoredCredential[] = [];
  const pages: Page[] = [];
  const cursors = new Set<string>();
  let cursor: string | undefined;
  do {
    if (pages.length >= maxPages) throw new Error(`The walk did not end after ${maxPages} pages`);
    const page = await fetchPage(cursor);
    expect(page.items.length).toBeLessThanOrEqual(limit);
    pages.push(page);
    items.push(...page.items);
    cursor = page.cursor ?? undefined;
    // A cursor seen before means the walk went round in a circle and would never end.
    if (cursor !== undefined && cursors.has(cursor))
      throw new Error("The walk returned the same cursor twice");
    if (cursor !== undefined) cursors.add(cursor);
  } while (cursor !== undefined);
  return { items, pages };
}

/** Follows `list` cursors for one client until null, checking that no page exceeds `limit`. */
export function walkList(
  store: CredentialStore,
  clientId: string,
  options: { limit: number; includeTemporary?: boolean },
): Promise<Walk> {
  return walk(options.limit, (cursor) => store.list(clientId, { ...options, cursor }));
}

/** Follows `scan` cursors until null, checking that no page exceeds `limit`. */
export function walkScan(store: CredentialStore, limit: number): Promise<Walk> {
  return walk(limit, (cursor) => store.scan({ limit, cursor }));
}

/** Credential ids in walk order. */
export function idsOf(items: readonly StoredCredential[]): string[] {
  return items.map((item) => item.credentialId);
}

/** Ids sorted by UTF-16 code unit, the order `list` promises (the same as byte order for ASCII ids). */
export function sortedIds(ids: readonly string[]): string[] {
  return [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
