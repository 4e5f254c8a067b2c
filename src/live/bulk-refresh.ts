import type { Batch } from '../domain/batch.js';
import type { ListPage } from '../domain/listing.js';
import type { BatchProvider, BulkRefreshCapability } from '../domain/provider.js';
import { bindCallContext, type CallContext } from '../upstream/call-context.js';
import type { Coordinator, HubEvent } from './coordinator.js';
import { nextDelay, type PollPolicy } from './poll-policy.js';
import { fingerprint, initialMemory, pollStep, type PollMemory, type PollOutcome } from './poll-step.js';
import { Deadline, overdueAfter, overdueMark, overdueReason } from './overdue.js';
import type { PollScheduler } from './scheduler.js';
import type { WatchTarget } from './watch-target.js';
import { announcement, readAnnouncement, unitLeaseName, unitName, type UnitKey } from './keys.js';
import { leaseLoop } from './lease-loop.js';
import type { HealthBook } from './health-book.js';

/** What a bulk refresh needs from the poll hub. */
export interface BulkHost {
  readonly coordinator: Coordinator;
  readonly policy: PollPolicy;
  readonly scheduler: PollScheduler;
  /** The clock of progress samples (rate and ETA). */
  readonly now: () => number;
  /** Judges the members' health (`health-book.ts`); none: states carry no health. */
  readonly health?: HealthBook | undefined;
  /** Delivers an event to this process's subscribers of the watch named `name` (if any) and to the other processes. */
  publish(name: string, event: HubEvent): Promise<void>;
  /** A late joiner on a process that does not hold the unit's lease: its last state from the coordinator. */
  catchUp(name: string): Promise<void>;
  /** Counts one upstream read (hub stats). */
  counted(kind: 'page' | 'single'): void;
}

/** One watched batch of the unit, on this process or (with Redis) announced by another. */
interface Member {
  /** Its watch key's name (`keyName`). */
  name: string;
  target: WatchTarget;
  memory: PollMemory;
  /** The state last published (what subscribers have). */
  latest: Batch | undefined;
  /** When its own single-batch read is due (Infinity: the next list walk refreshes it). */
  dueAt: number;
  /** It has had a single-batch read (its detail fields are known). */
  detailed: boolean;
  /** When its next refresh is planned (published as `nextRefreshAt`). */
  nextRefresh?: number;
  /** The interval that refresh was planned at. */
  interval: number;
  /** One interval after its planned refresh: no reading by then marks it stale (`markOverdue`). */
  overdueAt: number;
  /** Consecutive walks that changed under way and did not show it (a row may have moved between pages). */
  missed: number;
}

/** One list walk: the rows by batch id, the pages it cost, and the failure that cut it short. */
interface Walk {
  rows: Map<string, Batch>;
  pages: number;
  /** The list changed while it was walked (its total moved): a row may have slipped between two pages. */
  drifted: boolean;
  error?: unknown;
}

/** A local watch of the unit: its target and the state its subscribers have. */
export interface LocalMember {
  target: WatchTarget;
  latest(): Batch | undefined;
  polling(on: boolean): void;
}

const MEMBER_TTL_LEASES = 3;

/** A list row, keeping the detail fields (which rows lack) of the last full reading. */
function overlay(row: Batch, last: Batch | undefined, detailFields: readonly string[]): Batch {
  if (!last) return row;
  const merged: Record<string, unknown> = { ...row };
  const previous = last as unknown as Record<string, unknown>;
  for (const field of detailFields) if (field in previous) merged[field] = previous[field];
  return merged as unknown as Batch;
}

/**
 * Refreshes every watched batch of one provider and credential (or tenant) scope through the
 * provider's list: each tick walks the pages filtered by each status word its members are in
 * (one status word, the provider's largest page), so a tick costs ⌈in that status ÷ page
 * size⌉ calls however many batches are watched, when that is cheaper than reading them one by
 * one. Each row's own status is read (the filter is never trusted); a batch that left the running
 * set, or whose subscription selects fields only the single read returns, is read on its own.
 *
 * With Redis the unit is one lease: only its holder walks the list, for the members every
 * process announced, and the states reach every process through the coordinator.
 */
export class BulkRefresh {
  private readonly stop = new AbortController();
  /** What the walks' and polls' calls are for: background traffic, counting its waits for budget. */
  private readonly calls: CallContext = { traffic: 'background', budgetWaits: 0 };
  /** The same for a member's first read, which its subscriber waits for. */
  private readonly firstCalls: CallContext = { traffic: 'first-read', budgetWaits: 0 };
  /** The stop signal as the walks' and polls' calls carry it (`call-context.ts`). */
  private readonly background = bindCallContext(this.stop.signal, this.calls);
  private readonly firstRead = bindCallContext(AbortSignal.any([this.stop.signal]), this.firstCalls);
  private readonly local = new Map<string, LocalMember>();
  private readonly announced = new Map<string, string>();
  private readonly members = new Map<string, Member>();
  /** The last `total` each status filter reported, to price a walk before making it. */
  private readonly totals = new Map<string, number>();
  private tickDueAt = 0;
  /** The interval the next walk was planned at. */
  private tickInterval = 0;
  /** A tick (its walks and reads) is under way. */
  private busy = false;
  /** The unit's one timer: members whose read is an interval overdue are marked stale. */
  private readonly overdue = new Deadline(() => this.markOverdue());
  /** The status words the last tick walked. */
  private walked = new Set<string>();
  private running = false;
  /** This process holds the unit's lease (refreshes it) right now. */
  private held = false;
  /** Aborted by a nudge: the loop's sleep ends and due members are read. */
  private wake = new AbortController();
  /** The next walk is planned at the background pace (every member was a background watch then). */
  private backgroundPace = false;

  /** The unit's name in the coordinator (its announced members). */
  private readonly unit: string;

  constructor(
    readonly key: UnitKey,
    private readonly provider: BatchProvider,
    private readonly capability: BulkRefreshCapability,
    private readonly host: BulkHost,
    private readonly onIdle: () => void,
  ) {
    this.unit = unitName(key);
  }

  add(name: string, member: LocalMember): void {
    this.local.set(name, member);
    const text = announcement(name, member.target);
    this.announced.set(name, text);
    if (this.host.coordinator.shared)
      this.host.coordinator.announce(this.unit, [text], this.memberTtl()).catch(() => {});
    // A subscriber that selects detail-only fields gets its first state from a single read, now.
    const known = this.members.get(name);
    if (known && member.target.includeDetailFields && !known.detailed) known.dueAt = 0;
    member.polling(this.running && this.held);
    // A subscriber joining a unit that walks at the background pace is not left waiting for that walk: one now.
    if (this.running && this.backgroundPace && !member.target.background) {
      this.tickDueAt = 0;
      this.rouse();
    }
    if (!this.running) {
      this.running = true;
      void this.run();
    }
  }

  remove(name: string): void {
    this.local.delete(name);
    const text = this.announced.get(name);
    this.announced.delete(name);
    if (text && this.host.coordinator.shared) this.host.coordinator.withdraw(this.unit, [text]).catch(() => {});
    if (this.local.size === 0) this.stop.abort();
  }

  close(): void {
    this.stop.abort();
  }

  /**
   * A write changed batch `providerBatchId`: if it is a member, it is read on its own at once (by this
   * process when it holds the unit's lease). True when it is a member here.
   */
  nudge(providerBatchId: string): boolean {
    let member = false;
    for (const m of this.members.values())
      if (m.target.providerBatchId === providerBatchId) ((m.dueAt = 0), (member = true));
    for (const m of this.local.values()) if (m.target.providerBatchId === providerBatchId) member = true;
    if (!member) return false;
    this.rouse();
    return true;
  }

  /** Ends the loop's current rest: what is due is done now. */
  private rouse(): void {
    this.wake.abort();
    this.wake = new AbortController();
  }

  /** Stopped (its last local watch left): a new watch needs a new unit. */
  get closed(): boolean {
    return this.stop.signal.aborted;
  }

  private memberTtl(): number {
    return this.host.coordinator.leaseMs * MEMBER_TTL_LEASES;
  }

  /** Competes for the unit's lease while it has local watches (`leaseLoop`); refreshes while holding it. */
  private async run(): Promise<void> {
    const { coordinator } = this.host;
    this.host.scheduler.plan(this, 1, this.host.policy.runningMs);
    let announceAt = 0;
    try {
      await leaseLoop(coordinator, unitLeaseName(this.key), this.stop.signal, {
        wanted: () => this.local.size > 0,
        // Holder or not, this process's members are announced again every lease, well before they expire.
        beforeAttempt: () => {
          if (!coordinator.shared || Date.now() < announceAt) return;
          announceAt = Date.now() + coordinator.leaseMs;
          coordinator.announce(this.unit, [...this.announced.values()], this.memberTtl()).catch(() => {});
        },
        attempted: (held) => {
          this.held = held;
          for (const m of this.local.values()) m.polling(held);
        },
        // Another process refreshes the unit: its members are its, until this process holds the lease again.
        waiting: async () => {
          this.dropAll();
          this.tickDueAt = 0;
          for (const [name, m] of this.local) if (!m.latest()) await this.host.catchUp(name);
        },
        // A tick runs to its end on the unit's own signal; a lease lost meanwhile (only a tick slower than
        // a third of a lease can see a renewal) sends the loop straight back to the lease.
        hold: async () => {
          this.busy = true;
          const wait = await this.tick(this.stop.signal).finally(() => (this.busy = false));
          return { restMs: wait, wake: this.wake.signal };
        },
      });
    } finally {
      this.overdue.clear();
      this.dropAll();
      this.running = false;
      this.host.scheduler.forget(this);
      for (const m of this.local.values()) m.polling(false);
      this.held = false;
      this.onIdle();
    }
  }

  /** Brings the member list up to date: this process's watches and (with Redis) every other's. */
  private async sync(): Promise<void> {
    const seen = new Map<string, WatchTarget>();
    for (const [name, m] of this.local) seen.set(name, m.target);
    if (this.host.coordinator.shared) {
      const remote = await this.host.coordinator.members(this.unit).catch(() => [] as string[]);
      for (const text of remote) {
        // An unreadable member is skipped; its process announces it again.
        const member = readAnnouncement(text);
        if (member && !seen.has(member.name)) seen.set(member.name, member.target);
      }
    }
    for (const name of this.members.keys()) if (!seen.has(name)) this.drop(name);
    const interval = Math.round(this.host.policy.runningMs * this.host.scheduler.stretch());
    for (const [name, target] of seen) {
      if (this.members.has(name)) continue;
      const latest = this.local.get(name)?.latest();
      this.members.set(name, {
        name,
        target,
        memory: initialMemory(latest, this.host.health?.hold(target)),
        latest,
        dueAt: target.includeDetailFields ? 0 : Number.POSITIVE_INFINITY,
        detailed: false,
        missed: 0,
        interval,
        overdueAt: Date.now() + interval + overdueAfter(interval),
      });
    }
    this.armOverdue();
  }

  /** Takes a member out (its batch's health tracker is given back). */
  private drop(name: string): void {
    const m = this.members.get(name);
    if (!m) return;
    this.members.delete(name);
    if (m.memory.health) this.host.health?.release(m.target);
  }

  private dropAll(): void {
    for (const name of [...this.members.keys()]) this.drop(name);
  }

  /**
   * The interval the unit's walks are planned at: the running interval while any member is a subscriber's, the
   * background pace when every member is a background watch.
   */
  private baseMs(): number {
    const { policy } = this.host;
    for (const m of this.members.values()) if (!m.target.background) return policy.runningMs;
    return Math.max(policy.runningMs, policy.backgroundMs);
  }

  /** Arms the unit's timer for the first member whose read will be overdue. */
  private armOverdue(): void {
    let at = Number.POSITIVE_INFINITY;
    for (const m of this.members.values()) at = Math.min(at, m.overdueAt);
    this.overdue.arm(at);
  }

  /**
   * Marks every member whose read is an interval overdue (no reading since its planned refresh) stale,
   * with why: its tick waits for the provider's request budget (`BUDGET_WAIT`) or is slow (`OVERDUE`);
   * its next refresh is unknown (null) while the tick is under way. Looked at again every interval.
   */
  private markOverdue(): void {
    if (this.closed || !this.held) return;
    const now = Date.now();
    const reason = overdueReason(this.busy, this.calls, this.firstCalls);
    for (const m of this.members.values()) {
      if (m.overdueAt > now) continue;
      const planned = !this.busy && m.nextRefresh !== undefined && m.nextRefresh > now ? new Date(m.nextRefresh) : null;
      const mark = overdueMark(m.latest, reason, planned);
      if (mark) {
        // The next reading differs from the mark, so it is published (and clears it) even if unchanged.
        m.memory.print = fingerprint(mark);
        m.latest = mark;
        void this.host.publish(m.name, { kind: 'state', batch: mark });
      }
      m.overdueAt = now + overdueAfter(m.interval);
    }
    this.armOverdue();
  }

  /** Does what is due (a list walk, single reads); returns the ms until something is due again. */
  private async tick(signal: AbortSignal): Promise<number> {
    await this.sync();
    if (signal.aborted) return 0;
    const { policy, scheduler } = this.host;
    // A subscriber's batch joined (here or, announced, on another replica) while walks ran at the background pace.
    if (this.backgroundPace && this.baseMs() === policy.runningMs) this.tickDueAt = 0;
    const now = Date.now();
    const refreshed = new Set<Member>();
    const work: Promise<void>[] = [];
    if (now >= this.tickDueAt) {
      const paged = this.pagedStatuses();
      this.walked = paged;
      const walks = new Map<string, Walk>();
      let pages = 0;
      for (const word of paged) {
        const walk = await this.walk(word, signal);
        if (signal.aborted) return 0;
        pages += walk.pages;
        walks.set(word, walk);
      }
      // Members outside every walked status are read on their own; their policy's interval counts too.
      const base = this.baseMs();
      this.backgroundPace = base !== policy.runningMs;
      let single = 0;
      for (const m of this.members.values())
        if (!walks.has(this.wordOf(m))) single += base / nextDelay(policy, m.memory, () => 0.5, m.target.background);
      // From the walks' end: a walk that waited (for budget, a slow provider) never announces a past refresh.
      this.tickInterval = scheduler.plan(this, pages + single, base);
      this.tickDueAt = Date.now() + this.tickInterval;
      for (const m of this.members.values()) {
        const walk = walks.get(this.wordOf(m));
        if (!walk) continue;
        m.nextRefresh = this.tickDueAt;
        m.interval = this.tickInterval;
        if (walk.error !== undefined) {
          const error = walk.error;
          work.push(this.step(m, () => Promise.reject(error)));
          refreshed.add(m);
          continue;
        }
        const row = walk.rows.get(m.target.providerBatchId);
        const running = row && !row.isTerminal && this.capability.statuses.includes(row.providerStatus);
        if (row && running && (m.detailed || !m.target.includeDetailFields)) {
          const reading = overlay(row, m.memory.batch, this.capability.detailFields);
          work.push(this.step(m, () => Promise.resolve(reading)));
          refreshed.add(m);
          m.dueAt = Number.POSITIVE_INFINITY;
          m.missed = 0;
        } else if (!row && walk.drifted && m.memory.batch && m.missed++ === 0) {
          // Offset pages of a list that changed under way can skip a row: look again at the next walk
          // before spending a read on a batch that has probably not left.
          m.dueAt = Number.POSITIVE_INFINITY;
        } else {
          // It left the running set (or was never in it): one read on its own for its own state.
          m.dueAt = 0;
        }
      }
    }
    for (const m of this.members.values()) {
      if (refreshed.has(m) || m.dueAt > now) continue;
      work.push(this.single(m));
    }
    await Promise.all(work);
    this.armOverdue();
    let next = this.tickDueAt;
    for (const m of this.members.values()) next = Math.min(next, m.dueAt);
    // At the background pace the members are looked at every running interval all the same (no upstream call).
    if (this.backgroundPace) next = Math.min(next, Date.now() + policy.runningMs);
    return Math.max(1, next - Date.now());
  }

  /** The status word a member was last seen in (a new member is assumed running: the common case). */
  private wordOf(m: Member): string {
    return m.memory.batch?.providerStatus ?? this.capability.statuses[0]!;
  }

  /** The status words worth a list walk: those whose pages cost no more than reading their members one by one. */
  private pagedStatuses(): Set<string> {
    const counts = new Map<string, number>();
    for (const m of this.members.values()) {
      const word = this.wordOf(m);
      if (this.capability.statuses.includes(word)) counts.set(word, (counts.get(word) ?? 0) + 1);
    }
    const paged = new Set<string>();
    for (const [word, count] of counts) {
      const pages = Math.max(1, Math.ceil((this.totals.get(word) ?? count) / this.capability.pageSize));
      if (pages <= count) paged.add(word);
    }
    return paged;
  }

  /** Walks every page of the list filtered by `word`. */
  private async walk(word: string, signal: AbortSignal): Promise<Walk> {
    const rows = new Map<string, Batch>();
    let pages = 0;
    let total: number | null | undefined;
    let drifted = false;
    let token: string | number | null = 0;
    const tenant = [...this.members.values()][0]?.target.tenant;
    try {
      while (token !== null && !signal.aborted) {
        const at: string | number = token;
        this.host.counted('page');
        pages++;
        const page: ListPage = await this.provider.listPage!(
          { status: word },
          { size: this.capability.pageSize, token: at },
          { signal, ...(tenant ? { tenant } : {}) },
        );
        for (const item of page.items) rows.set(item.providerBatchId, item);
        if (page.total !== undefined && page.total !== null) this.totals.set(word, page.total);
        if (total !== undefined && page.total !== total) drifted = true;
        total = page.total;
        token = page.next ?? null;
      }
      return { rows, pages, drifted };
    } catch (error) {
      return { rows, pages, drifted, error };
    }
  }

  /** One single-batch read of a member, at its own policy's interval afterwards. */
  private async single(m: Member): Promise<void> {
    const kind = m.latest ? 'background' : 'first-read';
    this.host.counted('single');
    // Planned when the read ends, before its state is published, so the state names the refresh after it.
    await this.step(m, undefined, kind, () => {
      if (m.memory.failures === 0) m.detailed = true;
      const delay = Math.round(
        nextDelay(this.host.policy, m.memory, Math.random, m.target.background) * this.host.scheduler.stretch(),
      );
      m.dueAt = this.paged(m) ? Number.POSITIVE_INFINITY : Date.now() + delay;
      m.nextRefresh = Number.isFinite(m.dueAt) ? m.dueAt : this.tickDueAt;
      m.interval = Number.isFinite(m.dueAt) ? delay : this.tickInterval;
    });
  }

  /** True when the member's status is one the walks cover. */
  private paged(m: Member): boolean {
    return this.walked.has(this.wordOf(m)) && !m.memory.batch?.isTerminal;
  }

  /**
   * Runs the poll step for one member (from a list row, or a fresh read) and publishes what it says;
   * `plan` plans its next refresh first (a walked member's is the next walk, already planned).
   */
  private async step(
    m: Member,
    read: (() => Promise<Batch>) | undefined,
    kind: 'background' | 'first-read' = 'background',
    plan?: () => void,
  ): Promise<void> {
    const signal = kind === 'first-read' ? this.firstRead : this.background;
    const outcome: PollOutcome = await pollStep(
      this.provider,
      m.target,
      m.memory,
      () => m.latest,
      this.host.now,
      signal,
      read,
    );
    plan?.();
    // Read (or failed) now: it is overdue one interval after its next planned refresh.
    m.overdueAt = (m.nextRefresh ?? this.tickDueAt) + overdueAfter(m.interval);
    if (signal.aborted) return;
    if (outcome.unchanged) await this.host.coordinator.keepAlive(m.name).catch(() => {});
    const nextRefreshAt = outcome.done ? null : new Date(m.nextRefresh ?? this.tickDueAt);
    for (const event of outcome.events) {
      const e: HubEvent = event.kind === 'state' ? { ...event, batch: { ...event.batch, nextRefreshAt } } : event;
      if (e.kind === 'state') m.latest = e.batch;
      await this.host.publish(m.name, e);
    }
    if (outcome.done) this.drop(m.name);
  }
}
