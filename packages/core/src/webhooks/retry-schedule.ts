/** The retry schedule of webhook deliveries, in milliseconds. */
export interface RetrySchedule {
  /** Attempts before an entry is marked failed (the first one included). Default 10. */
  maxAttempts?: number;
  /** The wait after the first failed attempt. Default 5000 (5 s). */
  baseDelayMs?: number;
  /** No wait is longer than this. Default 3600000 (1 h). */
  maxDelayMs?: number;
}

/** The defaults of {@link RetrySchedule}. */
export const DEFAULT_RETRY_SCHEDULE: Required<RetrySchedule> = {
  maxAttempts: 10,
  baseDelayMs: 5000,
  maxDelayMs: 3_600_000,
};

/**
 * The wait after failed attempt number `attempts` (1-based): exponential (`base * 2^(attempts-1)`,
 * capped at `max`) with "equal jitter" (a random point in its upper half), so receivers that came back
 * are not hit by every sender at the same instant yet no wait is shorter than half its step.
 */
export function retryDelayMs(
  schedule: Required<RetrySchedule>,
  attempts: number,
  random: () => number = Math.random,
): number {
  const step = Math.min(schedule.maxDelayMs, schedule.baseDelayMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(step / 2 + random() * (step / 2));
}
