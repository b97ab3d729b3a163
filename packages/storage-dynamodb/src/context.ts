import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";

/** The store's name in errors and metrics. */
export const storeName = "dynamodb";

/** What every operation needs: the resolved config. */
export interface StoreContext {
  client: DynamoDBClient;
  tableName: string;
  now: () => number;
  maxRaceRetries: number;
}

/**
 * Waits a little before an operation retries after losing a race (a transaction conflict, or a record
 * that changed between the two requests of a multi-step write). Jittered so racers spread out.
 */
export function raceBackoff(attempt: number): Promise<void> {
  const ms = 5 + Math.random() * 20 * (attempt + 1);
  return new Promise((resolve) => setTimeout(resolve, ms));
}
