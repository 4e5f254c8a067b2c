import { startHarness, type Harness } from './harness.js';

/**
 * The gateway and simulators the dashboard's browser tests run against: a real clock, rows that move within the
 * tests, polls fast enough to watch, no provider quota in the way, and every list read fresh.
 */
export function startDashboardHarness(): Promise<Harness> {
  return startHarness({
    realTime: true,
    batchCount: 40,
    sims: {
      factCheckPlan: 'unlimited',
      gameballRateLimits: 'none',
      // Running batches finish within a minute of the start at the latest.
      durationMs: { min: 20_000, max: 60_000 },
      // A Check batch that starts 2 s after the start and runs for 150 s: it moves all through the tests.
      factCheckShowcase: { startInMs: 2_000, durationMs: 150_000 },
    },
    env: {
      FACTCHECK_PLAN: 'enterprise',
      GAMEBALL_RATE_LIMIT: 'none',
      LIVE_POLL_RUNNING_MS: '250',
      LIVE_POLL_IDLE_MS: '250',
      LIVE_POLL_IDLE_MAX_MS: '1000',
      // Every list read goes to the providers (a refresh after a fault or a submit sees the change).
      LIST_PAGE_CACHE_TTL_MS: '0',
    },
  });
}
