import type { BatchHealth, ProviderName } from '../domain/batch.js';
import { HealthTracker, type HealthPolicy, type HealthSeed } from './health.js';
import type { WatchKey } from './keys.js';

/** One batch in one credential scope, whatever detail level its watches read it at. */
export type BatchRef = Pick<WatchKey, 'provider' | 'scope' | 'providerBatchId'>;

const refName = (r: BatchRef) => `${r.provider}|${r.scope}|${r.providerBatchId}`;

/**
 * This process's health trackers, one per batch and credential scope, shared by every poll loop that reads it
 * (a per-batch loop, a bulk refresh's member, at any detail level), so one batch has one health however many
 * loops read it. A tracker is held while a loop reads its batch, and seeded from the ledger's history when it
 * is created (`seed`).
 */
export class HealthBook {
  private readonly held = new Map<string, { tracker: HealthTracker; holders: number; provider: ProviderName }>();

  constructor(
    readonly policy: HealthPolicy,
    private readonly seed?: (ref: BatchRef) => Promise<HealthSeed | undefined>,
  ) {}

  /** The tracker of `ref`, created (and seeded) when no loop holds it yet; give it back with `release`. */
  hold(ref: BatchRef): HealthTracker {
    const name = refName(ref);
    let entry = this.held.get(name);
    if (!entry) {
      const key = { provider: ref.provider, scope: ref.scope, providerBatchId: ref.providerBatchId };
      entry = { tracker: new HealthTracker(this.policy, this.seed?.(key)), holders: 0, provider: ref.provider };
      this.held.set(name, entry);
    }
    entry.holders++;
    return entry.tracker;
  }

  release(ref: BatchRef): void {
    const name = refName(ref);
    const entry = this.held.get(name);
    if (entry && --entry.holders <= 0) this.held.delete(name);
  }

  /**
   * The batches this process judges now (a reading judged within the stall threshold), by provider and health:
   * `/metrics`' `batchql_batches_by_health`.
   */
  counts(now: number): { provider: ProviderName; health: BatchHealth; count: number }[] {
    const counted = new Map<string, { provider: ProviderName; health: BatchHealth; count: number }>();
    for (const { tracker, provider } of this.held.values()) {
      const verdict = tracker.current;
      if (!verdict || now - tracker.assessedAt > this.policy.stallAfterMs) continue;
      const name = `${provider}|${verdict.health}`;
      const row = counted.get(name) ?? { provider, health: verdict.health, count: 0 };
      row.count++;
      counted.set(name, row);
    }
    return [...counted.values()];
  }
}
