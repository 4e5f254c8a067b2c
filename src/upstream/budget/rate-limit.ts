import { MAX_TIMER_MS } from '../../config/settings.js';

/** One quota window of a provider: at most `limit` requests in any `windowMs`. */
export interface RateWindow {
  limit: number;
  windowMs: number;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * Reads a rate limit setting: `none`, or windows such as `200/60s` or `30/1s,360/30s` (units
 * ms, s, m, h). Returns the windows (empty for `none`) or a message saying what is wrong. A window
 * is at most `MAX_TIMER_MS` (about 24.8 days): the budget waits for calls to leave a window with
 * a timer, and a longer one would fire at once, over and over.
 */
export function parseRateLimit(text: string): RateWindow[] | string {
  if (text.toLowerCase() === 'none') return [];
  const windows: RateWindow[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    const m = /^(\d{1,9})\/(\d{1,9})(ms|s|m|h)$/.exec(part);
    const limit = m ? Number(m[1]) : 0;
    const windowMs = m ? Number(m[2]) * UNIT_MS[m[3]!]! : 0;
    if (!m || limit < 1 || windowMs < 1)
      return `must be "none" or windows like "200/60s" or "30/1s,360/30s", got "${text}"`;
    if (windowMs > MAX_TIMER_MS)
      return (
        `window "${part}" is longer than ${MAX_TIMER_MS} ms (about 24.8 days, the longest timer Node allows); ` +
        `use a window of at most ${Math.floor(MAX_TIMER_MS / 3_600_000)}h`
      );
    windows.push({ limit, windowMs });
  }
  return windows.sort((a, b) => a.windowMs - b.windowMs);
}

/** A rate limit as docs/configuration.md writes it (`30/1s,360/30s`, `none`). */
export function formatRateLimit(windows: readonly RateWindow[]): string {
  if (windows.length === 0) return 'none';
  return windows
    .map((w) => `${w.limit}/${w.windowMs % 1000 === 0 ? `${w.windowMs / 1000}s` : `${w.windowMs}ms`}`)
    .join(',');
}
