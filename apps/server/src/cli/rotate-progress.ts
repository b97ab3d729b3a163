import type { ReencryptionCounts } from "@credkit/core";

const number = new Intl.NumberFormat("en-US");

/** `1h 02m`, `3m 05s`, `12s`: a duration for an ETA. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m ${String(s).padStart(2, "0")}s`;
  return `${s}s`;
}

/** Inputs of {@link progressLine}. */
export interface ProgressInput {
  counts: ReencryptionCounts;
  /** Records counted before the run, or null when unknown. */
  total: number | null;
  /** Records scanned by this process (a resumed run's rate excludes earlier runs). */
  scannedThisRun: number;
  elapsedMs: number;
  /** The store (its regions) being walked. */
  store: string;
}

/**
 * One progress line: counts, rate and, when the total is known, percentage and ETA. The ETA is the
 * remaining count at this run's rate; records created meanwhile make it approximate.
 */
export function progressLine(input: ProgressInput): string {
  const { counts, total } = input;
  const rate = input.elapsedMs > 0 ? (input.scannedThisRun * 1000) / input.elapsedMs : 0;
  const parts = [
    total === null
      ? `${number.format(counts.scanned)} scanned`
      : `${number.format(counts.scanned)}/${number.format(total)} scanned (${Math.min(100, Math.floor((counts.scanned * 100) / Math.max(total, 1)))}%)`,
    `${number.format(counts.reencrypted)} re-encrypted`,
    `${number.format(counts.skipped)} skipped`,
    `${number.format(counts.failed)} failed`,
    `${number.format(Math.round(rate))} records/s`,
  ];
  if (total !== null) {
    const remaining = Math.max(0, total - counts.scanned);
    parts.push(rate > 0 ? `ETA ${formatDuration((remaining / rate) * 1000)}` : "ETA unknown");
  }
  return `rotate [${input.store}] ${parts.join(" · ")}`;
}
