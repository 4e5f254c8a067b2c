/** One observation of a batch's progress. */
export interface ProgressSample {
  atMs: number;
  processed: number;
}

/** How much history the rate looks at. */
const WINDOW_MS = 5 * 60_000;
const MAX_SAMPLES = 20;
/** A rate needs at least this much observed time. */
const MIN_SPAN_MS = 1_000;

/** Appends a sample, keeping a bounded window (a restart of counts resets it). */
export function addSample(history: ProgressSample[], sample: ProgressSample): ProgressSample[] {
  const last = history.at(-1);
  const base = last && sample.processed < last.processed ? [] : history;
  const kept = [...base, sample].filter((s) => sample.atMs - s.atMs <= WINDOW_MS);
  return kept.slice(-MAX_SAMPLES);
}

/**
 * Items per second over the observed window, and when the batch should finish at that rate.
 * Null until there are two samples at least a second apart; the estimate is null when the rate
 * is zero, the total unknown, or the batch is finished.
 */
export function deriveProgress(
  history: ProgressSample[],
  total: number | null,
  finished: boolean,
): { ratePerSecond: number | null; estimatedCompletionAt: Date | null } {
  const first = history[0];
  const last = history.at(-1);
  if (!first || !last || last.atMs - first.atMs < MIN_SPAN_MS)
    return { ratePerSecond: null, estimatedCompletionAt: null };
  const rate = ((last.processed - first.processed) * 1000) / (last.atMs - first.atMs);
  const ratePerSecond = Math.round(rate * 1000) / 1000;
  if (finished || total === null || rate <= 0) return { ratePerSecond, estimatedCompletionAt: null };
  const remaining = Math.max(0, total - last.processed);
  return { ratePerSecond, estimatedCompletionAt: new Date(last.atMs + (remaining / rate) * 1000) };
}
