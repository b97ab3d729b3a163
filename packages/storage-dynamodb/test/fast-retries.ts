import type { DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";

type RetryStrategy = NonNullable<DynamoDBClientConfig["retryStrategy"]>;

/**
 * A retry strategy that decides like the SDK's standard one — retry what the SDK's retry middleware
 * classifies as THROTTLING or TRANSIENT, up to `maxAttempts` attempts — but without backoff delays
 * (the standard one waits up to a second per throttled attempt), so throttling tests stay fast.
 */
export function fastRetries(maxAttempts: number): RetryStrategy {
  const token = (count: number) => ({ getRetryCount: () => count, getRetryDelay: () => 0 });
  return {
    async acquireInitialRetryToken() {
      return token(0);
    },
    async refreshRetryTokenForRetry(previous, errorInfo) {
      const retryable = errorInfo.errorType === "THROTTLING" || errorInfo.errorType === "TRANSIENT";
      if (!retryable || previous.getRetryCount() + 1 >= maxAttempts)
        throw new Error("No retry token available");
      return token(previous.getRetryCount() + 1);
    },
    recordSuccess() {},
  };
}
