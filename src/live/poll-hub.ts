import type { Batch, ProviderName } from '../domain/batch.js';
import { GatewayError } from '../domain/errors.js';
import type { Providers } from '../domain/provider.js';
import { LatestValueChannel } from './channel.js';
import type { Coordinator, HubEvent } from './coordinator.js';
import { nextDelay, type PollPolicy } from './poll-policy.js';
import { fingerprint, initialMemory, pollStep } from './poll-step.js';
import { Deadline, overdueAfter, overdueMark, overdueReason } from './overdue.js';
import { bindCallContext, type CallContext } from '../upstream/call-context.js';
import { sleep } from './sleep.js';
import type { WatchTarget } from './watch-target.js';
import { BulkRefresh, type BulkHost } from './bulk-refresh.js';
import { PollScheduler } from './scheduler.js';
import { DETAIL_LEVELS, keyName, unitKey, unitName, watchesBatch, watchKey, type WatchKey } from './keys.js';
import { leaseLoop } from './lease-loop.js';
import type { HealthBook } from './health-book.js';

export type { WatchTarget } from './watch-target.js';

/** Counters for tests, metrics and the live benchmark. */
export interface HubStats {
  /** Upstream reads made by this process's poll loops. */
  polls: number;
  /** Of which list pages walked by bulk refreshes. */
  bulkPages: number;
  /** Of which single-batch reads made by bulk refreshes. */
  bulkSingleReads: number;
  /** Events published by this process's poll loops. */
  published: number;
  /** Keys this process is currently polling. */
  pollingKeys: number;
  /** Keys with at least one local subscriber (background watches included). */
  watchedKeys: number;
  /** Subscribers of clients (what `LIVE_MAX_SUBSCRIPTIONS` counts): background watches are not. */
  subscribers: number;
  /** Background watches on this process (`background.ts`). */
  backgroundWatches: number;
}

/** One watched key in this process: its local subscribers and, when this process holds the lease, its poll loop. */
class Watch {
  /** The key's name in the coordinator and in the hub's map. */
  readonly name: string;
  readonly channels = new Set<LatestValueChannel<Batch>>();
  readonly stop = new AbortController();
  latest: Batch | undefined;
  ended: HubEvent | undefined;
  polling = false;
  unlisten: () => void = () => {};
  /** The bulk refresh that keeps it fresh, for providers that refresh through their list. */
  unit: BulkRefresh | undefined;
  /** Aborted by a nudge: the poll loop's sleep ends and it reads the batch now. */
  wake = new AbortController();

  /** Ends the poll loop's current sleep (`PollHub.nudge`). */
  rouse(): void {
    this.wake.abort();
    this.wake = new AbortController();
  }

  constructor(
    readonly key: WatchKey,
    readonly target: WatchTarget,
  ) {
    this.name = keyName(key);
  }

  deliver(event: HubEvent): void {
    if (this.ended) return;
    if (event.kind === 'state') {
      this.latest = event.batch;
      for (const channel of this.channels) channel.push(event.batch);
      return;
    }
    this.ended = event;
    for (const channel of this.channels) {
      if (event.kind === 'end') channel.close();
      else
        channel.fail(new GatewayError(event.code, event.message, event.provider ? { provider: event.provider } : {}));
    }
  }
}

/**
 * Turns polling into push: one poll loop per (provider, batch, credential scope, detail level),
 * shared by every subscriber, in this process or, through the coordinator's lease, in any
 * process. The loop reads fresh from the provider each tick, publishes every reading (each
 * subscriber is sent only a changed result: graphql/changed-results.ts), backs off while idle,
 * obeys Retry-After, marks the last state stale on failures instead of ending, and stops at once
 * (sleep and in-flight request aborted) when the last local subscriber leaves.
 */
export class PollHub {
  private readonly watches = new Map<string, Watch>();
  private readonly counters = { polls: 0, published: 0, bulkPages: 0, bulkSingleReads: 0 };
  private readonly schedulers = new Map<ProviderName, PollScheduler>();
  private readonly units = new Map<string, BulkRefresh>();
  private readonly host: BulkHost;

  constructor(
    private readonly providers: Providers,
    private readonly coordinator: Coordinator,
    /** The polling intervals in force (read by tests and operators' tooling). */
    readonly policy: PollPolicy,
    private readonly now: () => number = Date.now,
    /**
     * `bulkRefresh`: refresh watched batches through the list where the provider can (`LIVE_BULK_REFRESH`,
     * default true). `published`: told of every state this process's polling publishes, stale marks included
     * (the ledger's timeline records stale periods and health changes from them). `health`: judges each polled
     * batch's health (`health-book.ts`); without it states carry none.
     */
    private readonly options: {
      bulkRefresh?: boolean;
      published?: (key: WatchKey, batch: Batch) => void;
      health?: HealthBook;
    } = {},
  ) {
    this.host = {
      coordinator,
      policy,
      now,
      health: options.health,
      scheduler: undefined as unknown as PollScheduler,
      publish: async (name, event) => {
        const w = this.watches.get(name);
        if (w) return this.publish(w, event);
        this.counters.published++;
        await this.coordinator.publish(name, event).catch(() => {});
      },
      catchUp: async (name) => {
        const w = this.watches.get(name);
        if (w) await this.catchUp(w);
      },
      counted: (kind) => {
        this.counters.polls++;
        if (kind === 'page') this.counters.bulkPages++;
        else this.counters.bulkSingleReads++;
      },
    };
  }

  /** The scheduler spending one provider's polling budget (one per provider, for every unit of polling work). */
  scheduler(provider: ProviderName): PollScheduler {
    let scheduler = this.schedulers.get(provider);
    if (!scheduler) {
      const adapter = this.providers[provider];
      scheduler = new PollScheduler(() => adapter?.pollRate?.() ?? Number.POSITIVE_INFINITY);
      this.schedulers.set(provider, scheduler);
    }
    return scheduler;
  }

  /** A subscriber's stream of states of one batch; ends after the terminal state. */
  watch(target: WatchTarget): LatestValueChannel<Batch> {
    const key = watchKey(target);
    let watch = this.watches.get(keyName(key));
    if (!watch || watch.ended) {
      watch = this.start(key, target);
    }
    const w = watch;
    const channel: LatestValueChannel<Batch> = new LatestValueChannel<Batch>(() => this.leave(w, channel));
    w.channels.add(channel);
    if (w.latest) channel.push(w.latest);
    return channel;
  }

  stats(): HubStats {
    let subscribers = 0;
    let pollingKeys = 0;
    let backgroundWatches = 0;
    for (const w of this.watches.values()) {
      if (w.key.background) backgroundWatches += w.channels.size;
      else subscribers += w.channels.size;
      if (w.polling) pollingKeys++;
    }
    return { ...this.counters, pollingKeys, watchedKeys: this.watches.size, subscribers, backgroundWatches };
  }

  /** The health book judging the polled batches (metrics), when health is judged. */
  get health(): HealthBook | undefined {
    return this.options.health;
  }

  /** Ends every watch (shutdown). */
  async close(): Promise<void> {
    for (const w of [...this.watches.values()]) {
      for (const channel of w.channels) channel.close();
      this.end(w);
    }
    for (const unit of this.units.values()) unit.close();
  }

  private start(key: WatchKey, target: WatchTarget): Watch {
    const w = new Watch(key, target);
    this.watches.set(w.name, w);
    w.unlisten = this.coordinator.listen(w.name, (event) => {
      w.deliver(event);
      if (w.ended) this.end(w);
    });
    const unit = this.unitFor(target);
    // The loop outlives the subscription that started it: its calls carry no request's scope (their
    // signals are the loop's own, `call-context.ts`), so its log lines and spans are no subscriber's
    // (docs/operations.md, "Tracing").
    if (unit) {
      w.unit = unit;
      unit.add(w.name, { target, latest: () => w.latest, polling: (on) => (w.polling = on) });
    } else void this.run(w);
    return w;
  }

  private leave(w: Watch, channel: LatestValueChannel<Batch>): void {
    w.channels.delete(channel);
    if (w.channels.size === 0) this.end(w);
  }

  private end(w: Watch): void {
    if (this.watches.get(w.name) === w) this.watches.delete(w.name);
    if (!w.stop.signal.aborted) w.stop.abort();
    w.unlisten();
    w.unit?.remove(w.name);
  }

  /** The bulk refresh of the target's provider and scope, when the provider refreshes through its list. */
  private unitFor(target: WatchTarget): BulkRefresh | undefined {
    if (this.options.bulkRefresh === false) return undefined;
    const provider = this.providers[target.provider];
    const capability = provider?.capabilities.bulkRefresh;
    if (!provider?.listPage || !capability || target.includePendingDetails) return undefined;
    const key = unitKey(target);
    const name = unitName(key);
    let unit = this.units.get(name);
    if (!unit || unit.closed) {
      const host = { ...this.host, scheduler: this.scheduler(target.provider) };
      const created: BulkRefresh = new BulkRefresh(key, provider, capability, host, () => {
        if (this.units.get(name) === created) this.units.delete(name);
      });
      this.units.set(name, (unit = created));
    }
    return unit;
  }

  /** Competes for the watch's lease while subscribers remain (`leaseLoop`); polls while holding it. */
  private async run(w: Watch): Promise<void> {
    await leaseLoop(this.coordinator, w.name, w.stop.signal, {
      wanted: () => !w.ended,
      waiting: () => this.catchUp(w),
      // Stopped or the lease lost: back to the lease at once.
      hold: async (signal) => ((await this.poll(w, signal)) ? 'over' : { restMs: 0 }),
    });
    w.polling = false;
  }

  /** A watch with no state yet, whose batch another process polls: the last state that process published. */
  private async catchUp(w: Watch): Promise<void> {
    if (w.latest) return;
    const last = await this.coordinator.lastEvent(w.name).catch(() => undefined);
    if (last?.kind === 'state' && !w.latest) w.deliver(last);
  }

  /**
   * The poll loop of a lease holder, until `signal` aborts (stopped, or the lease lost); true when
   * the watch is over (terminal, not found), false when stopped or the lease was lost.
   */
  private async poll(w: Watch, signal: AbortSignal): Promise<boolean> {
    const provider = this.providers[w.target.provider];
    // What the loop's upstream calls are for: its first read, then paced background polls. It counts
    // those waiting for the provider's request budget, to say why a late read is late.
    const context: CallContext = { traffic: 'background', budgetWaits: 0 };
    bindCallContext(signal, context);
    w.polling = true;
    const health = this.options.health;
    const memory = initialMemory(w.latest, health?.hold(w.key));
    const scheduler = this.scheduler(w.target.provider);
    // Counted from the start, so the first readings of many new watches already announce the stretched interval.
    let interval = scheduler.plan(w, 1, this.policy.runningMs);
    let first = true;
    // Where the loop is: reading (`busy`), asleep until `wakeAt` (0: not asleep), or in between.
    let busy = false;
    let wakeAt = 0;
    // One timer for the loop, whatever its subscribers: a read one interval past its planned time (no
    // reading since) marks the stream stale, with why and a fresh estimate of its next read.
    const overdue: Deadline = new Deadline(() => {
      if (signal.aborted || w.ended || !w.latest) return;
      const now = Date.now();
      const mark = overdueMark(w.latest, overdueReason(busy, context), !busy && wakeAt > now ? new Date(wakeAt) : null);
      if (mark) {
        // The next reading differs from the mark, so it is published (and clears it) even if unchanged.
        memory.print = fingerprint(mark);
        void this.publish(w, { kind: 'state', batch: mark });
      }
      // Looked at again every interval while it lasts: the reason may change (budget granted, then a slow answer).
      overdue.arm(now + overdueAfter(interval));
    });
    overdue.arm(Date.now() + interval + overdueAfter(interval));
    try {
      while (!signal.aborted) {
        // A background watch whose batch a subscriber's loop reads already spends nothing: that loop keeps the
        // ledger (and the batch's health) current; it ends with the batch.
        if (w.key.background) {
          const seen = await this.readElsewhere(w.key);
          if (signal.aborted) break;
          if (seen) {
            if (seen.isTerminal) {
              await this.publish(w, { kind: 'state', batch: seen });
              await this.publish(w, { kind: 'end' });
              return true;
            }
            // Its share of the budget is the other loop's meanwhile; no read is overdue while it rests.
            scheduler.forget(w);
            const rest = Math.max(this.policy.backgroundMs, interval);
            overdue.arm(Date.now() + rest + overdueAfter(rest));
            await sleep(rest, signal, w.wake.signal);
            continue;
          }
        }
        if (provider) this.counters.polls++;
        // A new watch's first read goes ahead of other polls, unpaced (its subscriber waits for a first
        // state); later polls are paced background traffic. Both leave the interactive share to queries.
        context.traffic = first && !w.latest ? 'first-read' : 'background';
        busy = true;
        const outcome = await pollStep(provider, w.target, memory, () => w.latest, this.now, signal);
        busy = false;
        first = false;
        if (signal.aborted) break;
        // Every batch of this provider gets the same share of its polling budget: intervals stretch evenly.
        const delay = scheduler.plan(w, 1, nextDelay(this.policy, memory, Math.random, w.key.background));
        interval = delay;
        // A finished batch has no next read; the next one is overdue once a further interval has passed.
        const due = Date.now() + delay;
        const nextRefreshAt = outcome.done ? null : new Date(due);
        overdue.arm(outcome.done ? Number.POSITIVE_INFINITY : due + overdueAfter(delay));
        // A failure is reported (logged, counted) by the coordinator; polling goes on regardless.
        if (outcome.unchanged) await this.coordinator.keepAlive(w.name).catch(() => {});
        for (const event of outcome.events)
          await this.publish(
            w,
            event.kind === 'state' ? { ...event, batch: { ...event.batch, nextRefreshAt } } : event,
          );
        if (outcome.done) return true;
        wakeAt = Date.now() + delay;
        await sleep(delay, signal, w.wake.signal);
        wakeAt = 0;
      }
      return false;
    } finally {
      overdue.clear();
      scheduler.forget(w);
      w.polling = false;
      health?.release(w.key);
    }
  }

  /**
   * The latest state of `key`'s batch as a subscriber's loop reads it, in this process or (with Redis) in
   * another: undefined when no such loop runs (a background watch then reads the batch itself). A loop in
   * another process counts while the next refresh its last state announced is less than two intervals past.
   */
  private async readElsewhere(key: WatchKey): Promise<Batch | undefined> {
    for (const w of this.watches.values())
      if (!w.key.background && !w.ended && w.latest && watchesBatch(w.key, key.provider, key.providerBatchId))
        if (w.key.scope === key.scope) return w.latest;
    if (!this.coordinator.shared) return undefined;
    const recent = Date.now() - 2 * this.policy.runningMs;
    for (const detail of DETAIL_LEVELS) {
      const name = keyName({ provider: key.provider, scope: key.scope, detail, providerBatchId: key.providerBatchId });
      const last = await this.coordinator.lastEvent(name).catch(() => undefined);
      if (last?.kind !== 'state') continue;
      const next = last.batch.nextRefreshAt?.getTime();
      if (last.batch.isTerminal || (next !== undefined && next >= recent)) return last.batch;
    }
    return undefined;
  }

  /**
   * Delivers a poll's event to this process's subscribers at once, then to the other processes
   * through the coordinator. A coordinator failure (reported by the coordinator itself) never
   * keeps an event from local subscribers.
   */
  private async publish(w: Watch, event: HubEvent): Promise<void> {
    this.counters.published++;
    if (event.kind === 'state') this.options.published?.(w.key, event.batch);
    w.deliver(event);
    await this.coordinator.publish(w.name, event).catch(() => {});
    if (w.ended) this.end(w);
  }

  /**
   * A write changed a batch (a cancel) whose new state is not terminal yet as read: every poll loop of
   * it in this process, per-batch or a bulk refresh's, reads it now instead of at its next tick, so its
   * watchers see the change within one poll round trip. Returns how many watches and units it woke.
   */
  nudge(provider: ProviderName, providerBatchId: string): number {
    let woken = 0;
    for (const w of this.watches.values()) {
      if (w.ended || w.unit || !watchesBatch(w.key, provider, providerBatchId)) continue;
      w.rouse();
      woken++;
    }
    // A unit's lease holder refreshes members other processes announced too, so every unit of the provider is told.
    for (const unit of this.units.values())
      if (!unit.closed && unit.key.provider === provider && unit.nudge(providerBatchId)) woken++;
    return woken;
  }

  /**
   * Ends this process's watches of one batch with its terminal state `batch` (read from the
   * provider after a verified webhook), whatever their scope or detail level: each gets the state
   * (no next refresh) and `end`, published as its poll loop would, so the loop stops and other
   * processes watching the same key hear it. A state that is not terminal changes nothing.
   * Returns how many watches it ended.
   */
  async settle(provider: ProviderName, providerBatchId: string, batch: Batch): Promise<number> {
    if (!batch.isTerminal) return 0;
    const mine = [...this.watches.values()].filter((w) => !w.ended && watchesBatch(w.key, provider, providerBatchId));
    for (const w of mine) {
      // The rate stays the last one observed; a finished batch has no completion estimate.
      const rate = w.latest?.progress.ratePerSecond ?? null;
      const state: Batch = {
        ...batch,
        stale: false,
        staleReason: null,
        nextRefreshAt: null,
        progress: { ...batch.progress, ratePerSecond: rate, estimatedCompletionAt: null },
      };
      await this.publish(w, { kind: 'state', batch: state });
      await this.publish(w, { kind: 'end' });
    }
    return mine.length;
  }
}
