import type { AttributeValue, CancellationReason } from "@aws-sdk/client-dynamodb";
import { storageUnavailable } from "@credkit/core";
import { storeName } from "./context.js";

/** A conditional write that failed its condition; `item` is the old item when DynamoDB returned it. */
export interface ConditionFailed {
  kind: "condition";
  item: Record<string, AttributeValue> | undefined;
  error: unknown;
}

/** A transaction DynamoDB cancelled; `reasons` are in the order of its items. */
export interface TransactionCancelled {
  kind: "cancelled";
  reasons: CancellationReason[];
  error: unknown;
}

/** The outcome of a write whose refusal is an answer (a condition failed), not an outage. */
export type WriteResult<T> = { kind: "ok"; output: T } | ConditionFailed | TransactionCancelled;

function errorName(error: unknown): string | undefined {
  return typeof error === "object" && error !== null ? (error as { name?: string }).name : undefined;
}

/** Awaits an SDK call; every failure becomes STORAGE_UNAVAILABLE with the SDK error as `cause`. */
export async function guard<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw storageUnavailable(storeName, error);
  }
}

/**
 * Awaits a conditional write. A failed condition or a cancelled transaction is returned for the caller
 * to map (null, CONFLICT, VERSION_CONFLICT, retry); every other failure — including throttling the SDK
 * already retried — becomes STORAGE_UNAVAILABLE.
 */
export async function attemptWrite<T>(call: Promise<T>): Promise<WriteResult<T>> {
  try {
    return { kind: "ok", output: await call };
  } catch (error) {
    const name = errorName(error);
    // The old items DynamoDB returns ride on the error; they are taken off it, so that an error kept
    // as a `cause` (and perhaps logged) never carries a record, encrypted or not.
    if (name === "ConditionalCheckFailedException") {
      const carrier = error as { Item?: Record<string, AttributeValue> };
      const item = carrier.Item;
      delete carrier.Item;
      return { kind: "condition", item, error };
    }
    if (name === "TransactionCanceledException") {
      const carrier = error as { CancellationReasons?: CancellationReason[] };
      const reasons = carrier.CancellationReasons;
      if (reasons !== undefined) {
        carrier.CancellationReasons = reasons.map(({ Item: _item, ...reason }) => reason);
        return { kind: "cancelled", reasons, error };
      }
    }
    throw storageUnavailable(storeName, error);
  }
}

/** The cancellation code of item `index` (`None`, `ConditionalCheckFailed`, `TransactionConflict`, ...). */
export function reasonCode(reasons: CancellationReason[], index: number): string {
  return reasons[index]?.Code ?? "None";
}

/** True when DynamoDB cancelled because another transaction held one of the items: worth a retry. */
export function isRace(reasons: CancellationReason[]): boolean {
  return reasons.some((reason) => reason.Code === "TransactionConflict");
}

/** True when every non-`None` reason is a failed condition, i.e. the refusal is an answer. */
export function onlyConditionsFailed(reasons: CancellationReason[]): boolean {
  return reasons.every((reason) => reason.Code === "None" || reason.Code === "ConditionalCheckFailed");
}
