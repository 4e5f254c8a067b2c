import type { Batch } from '../domain/batch.js';
import { ErrorCode, GatewayError, notConfigured } from '../domain/errors.js';
import type { BatchProvider } from '../domain/provider.js';
import type { HubEvent } from './coordinator.js';
import { addSample, deriveProgress, type ProgressSample } from './derive.js';
import type { PollState } from './poll-policy.js';
import type { WatchTarget } from './watch-target.js';
import type { HealthTracker } from './health.js';

/** What the poll step remembers of one batch between reads (the `PollState` the delay is chosen from, and more). */
export interface PollMemory extends PollState {
  /** Fingerprint of the last state published. */
  print: string;
  /** Recent progress readings, for rate and ETA. */
  history: ProgressSample[];
  /** The batch's health tracker (`HealthBook`), shared with every other loop reading it; none: health is not judged. */
  health?: HealthTracker | undefined;
}

/** A fresh memory, starting from the last state subscribers have (if any), judging health with `health`. */
export function initialMemory(latest: Batch | undefined, health?: HealthTracker): PollMemory {
  return { batch: latest, unchanged: 0, failures: 0, print: latest ? fingerprint(latest) : '', history: [], health };
}

/** What one poll produced: the events to publish, in order, and whether the watch is over. */
export interface PollOutcome {
  events: HubEvent[];
  /** Terminal state, not found or not configured: publish, then stop. */
  done: boolean;
  /** Nothing but the observation changed (fingerprint): the poll backs off while idle. */
  unchanged: boolean;
}

/** The fields whose change is worth an event (not the observation time or derived figures). */
export function fingerprint(batch: Batch): string {
  const { observedAt: _o, nextRefreshAt: _n, progress, ...rest } = batch;
  const { ratePerSecond: _r, estimatedCompletionAt: _e, ...counts } = progress;
  return JSON.stringify({ ...rest, progress: counts });
}

/** True when `batch` already says its latest poll failed (a stale mark without a reason is an older replica's). */
function failed(batch: Batch): boolean {
  return batch.stale === true && (batch.staleReason ?? 'POLL_FAILED') === 'POLL_FAILED';
}

/**
 * One poll of one batch: read it fresh, classify a failure (not found ends the watch; anything
 * else marks the last state stale with `POLL_FAILED` and backs off), derive rate and ETA, and
 * publish the reading (`unchanged` when its fingerprint is the last one's: idle backoff). `memory`
 * is updated in place; `latest` is the state subscribers last received (a function: read when the
 * poll ends, as an overdue mark may have changed it meanwhile).
 */
export async function pollStep(
  provider: BatchProvider | undefined,
  target: WatchTarget,
  memory: PollMemory,
  latest: Batch | undefined | (() => Batch | undefined),
  now: number | (() => number),
  signal: AbortSignal,
  /** Where the reading comes from: a fresh single-batch read unless a bulk refresh brought it. */
  read?: () => Promise<Batch>,
): Promise<PollOutcome> {
  const { provider: name, providerBatchId, includePendingDetails } = target;
  if (!provider) {
    const event: HubEvent = {
      kind: 'error',
      code: ErrorCode.PROVIDER_NOT_CONFIGURED,
      message: notConfigured(name).message,
      provider: name,
    };
    return { events: [event], done: true, unchanged: false };
  }
  let batch: Batch;
  try {
    batch = read
      ? await read()
      : await provider.get(providerBatchId, {
          includePendingDetails,
          signal,
          ...(target.tenant ? { tenant: target.tenant } : {}),
        });
  } catch (error) {
    if (signal.aborted) return { events: [], done: false, unchanged: false };
    if (
      error instanceof GatewayError &&
      (error.code === ErrorCode.NOT_FOUND || error.code === ErrorCode.BAD_USER_INPUT)
    )
      return {
        events: [
          {
            kind: 'error',
            code: error.code,
            message: error.message,
            ...(error.provider ? { provider: error.provider } : {}),
          },
        ],
        done: true,
        unchanged: false,
      };
    memory.failures++;
    memory.retryAfterMs = error instanceof GatewayError ? error.retryAfterMs : undefined;
    // Keep the subscription: its last state is now stale until a poll succeeds.
    const shown = typeof latest === 'function' ? latest() : latest;
    if (shown && !failed(shown)) {
      const stale: Batch = { ...shown, stale: true, staleReason: 'POLL_FAILED' };
      memory.print = fingerprint(stale);
      return { events: [{ kind: 'state', batch: stale }], done: false, unchanged: false };
    }
    return { events: [], done: false, unchanged: false };
  }
  memory.failures = 0;
  memory.retryAfterMs = undefined;
  const at = typeof now === 'function' ? now() : now;
  memory.history = addSample(memory.history, { atMs: at, processed: batch.progress.processed });
  const live: Batch = {
    ...batch,
    stale: false,
    staleReason: null,
    progress: { ...batch.progress, ...deriveProgress(memory.history, batch.progress.total, batch.isTerminal) },
  };
  // Health goes with the state (and its fingerprint: a change of health is an event, with its reason).
  if (memory.health) {
    await memory.health.ready;
    Object.assign(live, memory.health.assess(live, at));
  }
  memory.batch = live;
  // Every reading is published (its `observedAt` is new); each subscriber is sent it only when its own
  // result changed (graphql/changed-results.ts). The fingerprint still decides idle backoff.
  const events: HubEvent[] = [{ kind: 'state', batch: live }];
  const print = fingerprint(live);
  const changed = print !== memory.print;
  if (changed) {
    memory.print = print;
    memory.unchanged = 0;
  } else memory.unchanged++;
  if (live.isTerminal) events.push({ kind: 'end' });
  return { events, done: live.isTerminal, unchanged: !changed };
}
