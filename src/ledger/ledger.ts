import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { sql, type Kysely } from 'kysely';
import type { Batch, BatchHealth, HealthVerdict, ProviderName } from '../domain/batch.js';
import { ErrorCode, GatewayError } from '../domain/errors.js';
import type { BatchListFilter, ListOrder, ListPage } from '../domain/listing.js';
import { NOTHING } from './queries.js';
import type { AuditEntry, AuditFilter, StoredAuditEntry } from './audit.js';
import type { EventCounts, ProgressPoint, StoredHealth, TimelineEvent, TimelineInput, TimelineKind } from './events.js';
import { healthRows, progressRows, timelineRows, type TimelinePosition } from './history.js';
import type { HealthSeed } from '../live/health.js';
import {
  countRows,
  filterCondition,
  isKey,
  searchDrives,
  searchTextOf,
  visibleCondition,
  type Visible,
} from './queries.js';
import { prune, thin, type UpkeepReport } from './upkeep.js';
import { fingerprintOf, parseReading, serializeReading } from './reading.js';
import type { LedgerStore } from './store.js';
import type { BatchRow, LedgerTables } from './tables.js';
import { batchKeyText, type BatchKey } from './batch-key.js';
import type { LedgerChange } from '../notifications/events.js';

/** How batchql came to know a batch (the GraphQL `BatchLedgerEntry`). */
export interface BatchFacts {
  firstSeenAt: Date;
  submitted: boolean;
  submittedAt: Date | null;
  /** The subject that submitted it (null: unknown, or submitted without a token). */
  submittedBy: string | null;
  /** The tenant it was submitted under. */
  submittedTenant: string | null;
}

/** What the ledger reports to `/metrics` (observability/metrics.ts implements it). */
export interface LedgerObserver {
  /** Rows written in one flush (`batch`: readings and sightings; `audit`: entries). */
  written(kind: 'batch' | 'audit', rows: number): void;
  /** A flush or a read that failed (`write`, `read`). */
  failed(op: 'write' | 'read'): void;
  /** A read served from the ledger: its provider, and whether it came from memory or the store. */
  served(provider: ProviderName, from: 'memory' | 'store'): void;
  /** How long a store operation took. */
  timed(op: 'flush' | 'read' | 'list', seconds: number): void;
}

/** The ledger's health, for `/ready`'s JSON (`ledger`). */
export interface LedgerState {
  /** `ok`; `failing` when the last write failed; `unavailable` when the store could not be opened; `off`. */
  state: 'ok' | 'failing' | 'unavailable' | 'off';
  /** Where the store is (a path). */
  location?: string;
  /** Writes (flushes) and reads that failed since start. */
  writeFailures: number;
  readFailures: number;
  /** The last failure's message (no data, no credential). */
  lastError?: string;
  /** Rows waiting for the next flush. */
  pending: number;
}

export type { BatchKey } from './batch-key.js';

/** How a reading was taken: in which scope, for whom (a listing viewer), and which fields it lacks. */
export interface Sighting {
  scope: string;
  /** The tenant that saw it (`''`: a caller without one); undefined: a background read on nobody's behalf. */
  viewer?: string | undefined;
  lacks: readonly string[];
}

/** A stored reading the ledger can answer with. */
export interface StoredReading {
  batch: Batch;
  lacks: readonly string[];
  terminal: boolean;
  /** Where it came from: this replica's memory, or the store. */
  from: 'memory' | 'store';
  /**
   * When a reading said this last (epoch ms): this replica saw an equal reading then (its memory), or it was
   * stored then (the store writes a reading when it changed).
   */
  readAt: number;
}

/** The part of a reading a timeline compares: its status and counts. */
interface Shape extends EventCounts {
  status: string;
  providerStatus: string;
}

interface Cached {
  text: string;
  /** When a reading with every field of this one last said the same (its `observedAt`). */
  seenAt: number;
  shape: Shape;
  print: string;
  lacks: readonly string[];
  terminal: boolean;
  viewers: Set<string>;
  facts?: BatchFacts;
  /** This replica recorded the batch's expiry in its timeline already. */
  expiredNoted?: boolean;
  /** The health this replica last stored for it (its poll hub judged it), and when that was written. */
  health?: StoredHealth & { writtenAt: number };
}

interface Pending {
  key: BatchKey;
  batch?: Batch;
  text?: string;
  lacks?: readonly string[];
  viewers: Set<string>;
  at: number;
  submission?: { at: number; subject: string | null; tenant: string | null };
  /** The first reading this replica had of it, with no earlier one in memory: its event is decided at flush. */
  first?: { shape: Shape; at: number };
  /** Its health to store (`published`). */
  health?: StoredHealth;
}

/** A timeline event waiting to be written, or the end of a stale period (`end`, when it ended). */
type QueuedEvent =
  | { key: BatchKey; at: number; kind: TimelineKind; shape?: Shape | undefined; detail?: Record<string, unknown> }
  | { key: BatchKey; at: number; end: true };

/** How often waiting rows are written: one transaction per flush, whatever number of readings came meanwhile. */
const DEFAULT_FLUSH_MS = 50;
/** A failing store is reported at warn at most this often (each line says how many failed since the last). */
const WARN_EVERY_MS = 60_000;
/** After a failed flush the next waits this long, doubling to `MAX_BACKOFF_MS` while failures go on. */
const FIRST_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;
/** Rows waiting beyond this while the store fails are dropped (counted): memory stays bounded. */
const MAX_PENDING = 50_000;
/** A stored health counts for this long after it was last judged, unless `healthValidMs` says otherwise. */
const DEFAULT_HEALTH_VALID_MS = 10 * 60_000;
/** The history points a health tracker is seeded with. */
const HEALTH_SEED_POINTS = 500;

/** Where a flush's changes go in its own transaction (`notifications/outbox.ts`). */
export interface LedgerOutbox {
  write(
    trx: Kysely<LedgerTables>,
    changes: readonly LedgerChange[],
    now: number,
  ): Promise<{ events: number; deliveries: number }>;
  written(rows: { events: number; deliveries: number }): void;
}

/** An audit entry waiting to be written, with the unique key it is written under (its `origin`). */
type QueuedAudit = AuditEntry & { key: string };

const keyOf = batchKeyText;
const date = (ms: number | null) => (ms === null ? null : new Date(ms));
const timeOf = (d: Date | null | undefined) => (d ? d.getTime() : null);
const shapeOf = (b: Batch): Shape => ({
  status: b.status,
  providerStatus: b.providerStatus,
  processed: b.progress.processed,
  failed: b.progress.failed,
  total: b.progress.total,
});
const sameCounts = (a: EventCounts, b: EventCounts) =>
  a.processed === b.processed && a.failed === b.failed && a.total === b.total;

/**
 * The ledger: every batch the gateway has seen, with its latest reading, and every write (docs/ledger.md).
 * Readings and audit entries are queued and written on change, in one transaction per flush (`flushMs`);
 * a per-replica memory cache of the latest readings (at most `cacheMaxEntries`, least recently used out)
 * answers finished batches without a store read. Nothing here ever fails a read or a write of the gateway:
 * a store that cannot be written is counted, logged at warn (at most once a minute) and shown in `/ready`.
 */
export class Ledger {
  private readonly cache = new Map<string, Cached>();
  private pending = new Map<string, Pending>();
  private audits: QueuedAudit[] = [];
  private events: QueuedEvent[] = [];
  /** The batches whose stale period is open (the poll hub marked them), by key: its reason. */
  private readonly staleOpen = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private writeFailures = 0;
  private readFailures = 0;
  private dropped = 0;
  private lastError: string | undefined;
  private lastWriteFailed = false;
  private backoffMs = 0;
  private retryAt = 0;
  private closed = false;
  private lastWarnAt = 0;
  private failuresSinceWarn = 0;
  private db: Kysely<LedgerTables> | undefined;
  /** Why there is no store yet (a PostgreSQL that could not be reached at start); undefined when there is one. */
  private unavailable: string | undefined;
  /** Entries are queued while the store is away at start (`attach` brings it), not dropped. */
  private readonly queueing: boolean;

  constructor(
    private store: LedgerStore | undefined,
    private readonly options: {
      cacheMaxEntries: number;
      flushMs?: number;
      log: Logger;
      observer?: LedgerObserver;
      now?: () => number;
      /** Why there is no store (`unavailable`), when there is none; undefined with no store: `off`. */
      unavailable?: string;
      /** No store yet, but one may come (`attach`): entries wait in the bounded queue meanwhile. */
      queueUntilAttached?: boolean;
      /**
       * How long a stored health counts after it was last judged (`HEALTH_STALL_AFTER_MS`): a RUNNING batch whose
       * health nobody judged since is `UNKNOWN`. The watch that judges it stores it again every third of this.
       */
      healthValidMs?: number;
      /**
       * The notifications outbox (docs/notifications.md): told each flush's changes inside its transaction, so the
       * events they cause are stored with them, or not at all; `written` after the commit, with what it stored.
       */
      outbox?: LedgerOutbox;
    },
  ) {
    this.db = store?.db;
    this.unavailable = options.unavailable;
    this.queueing = options.queueUntilAttached ?? false;
    if (options.unavailable) this.lastError = options.unavailable;
  }

  /** The store, once it could be opened after all (PostgreSQL back after a start without it): what waits is written. */
  attach(store: LedgerStore): void {
    this.store = store;
    this.db = store.db;
    this.unavailable = undefined;
    this.schedule();
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** The store's Kysely, while there is one: what shares the ledger's store (the notifications outbox) uses. */
  get database(): Kysely<LedgerTables> | undefined {
    return this.db;
  }

  /** Records a reading the gateway took (a read, a list row, a poll): queued, written only when it changed. */
  observe(batch: Batch, sighting: Sighting): void {
    const key: BatchKey = { provider: batch.provider, scope: sighting.scope, providerBatchId: batch.providerBatchId };
    const id = keyOf(key);
    const text = serializeReading(batch);
    const print = fingerprintOf(text);
    const cached = this.cache.get(id);
    const viewer = sighting.viewer;
    const newViewer = viewer !== undefined && !cached?.viewers.has(viewer);
    const sameLacks = cached !== undefined && sameFields(cached.lacks, sighting.lacks);
    // A reading with fewer fields (a list row) does not replace a fuller one of the same state, nor one of a
    // finished batch in the same status (it no longer changes: the fuller reading is as true as ever).
    const poorer =
      cached !== undefined &&
      !covers(sighting.lacks, cached.lacks) &&
      (cached.print === print || (cached.terminal && cached.shape.status === batch.status));
    const changed = cached === undefined || (cached.print !== print && !poorer) || (!sameLacks && !poorer);
    // An equal reading with the same fields confirms the stored one as of now (`maxAge` reads count on it).
    if (!changed && !poorer) cached!.seenAt = Math.max(cached!.seenAt, batch.observedAt.getTime());
    if (!changed && !newViewer) {
      this.touch(id, cached!);
      return;
    }
    const shape = shapeOf(batch);
    const entry: Cached = changed
      ? {
          text,
          seenAt: batch.observedAt.getTime(),
          shape,
          print,
          lacks: sighting.lacks,
          terminal: batch.isTerminal,
          viewers: cached?.viewers ?? new Set(),
          ...(cached?.facts ? { facts: cached.facts } : {}),
          ...(cached?.health ? { health: cached.health } : {}),
        }
      : cached!;
    if (viewer !== undefined) entry.viewers.add(viewer);
    this.remember(id, entry);
    if (!this.db && !this.queueing) return;
    const waiting = this.pendingFor(key, id);
    if (changed) {
      waiting.batch = batch;
      waiting.text = text;
      waiting.lacks = sighting.lacks;
      const at = batch.observedAt.getTime();
      // Without an earlier reading in memory, the store's row decides whether this one changed anything.
      // A reading that changed only its fields (a fuller read of the same state) is no event: nor is it a first one.
      const change = cached ? changeOf(key, cached.shape, shape, at) : undefined;
      if (change) this.queueEvent(change);
      else if (!cached) waiting.first ??= { shape, at };
    }
    if (viewer !== undefined) waiting.viewers.add(viewer);
    this.schedule();
  }

  /**
   * Records that `batch` was submitted through batchql, by whom and under which tenant: its reading (the one read
   * back, or the accepted state when that failed) and the submission, listed to the submitting tenant.
   */
  submitted(batch: Batch, sighting: Sighting, by: { subject: string | null; tenant: string | null }): void {
    this.observe(batch, { ...sighting, viewer: by.tenant ?? '' });
    const key: BatchKey = { provider: batch.provider, scope: sighting.scope, providerBatchId: batch.providerBatchId };
    const id = keyOf(key);
    const at = this.now();
    const cached = this.cache.get(id);
    if (cached)
      cached.facts = {
        firstSeenAt: cached.facts?.firstSeenAt ?? new Date(at),
        submitted: true,
        submittedAt: new Date(at),
        submittedBy: by.subject,
        submittedTenant: by.tenant,
      };
    if (!this.db && !this.queueing) return;
    const waiting = this.pendingFor(key, id);
    waiting.submission = { at, subject: by.subject, tenant: by.tenant };
    // The row is written with the submission even when its reading is unchanged.
    waiting.batch ??= batch;
    waiting.text ??= serializeReading(batch);
    waiting.lacks ??= sighting.lacks;
    this.schedule();
  }

  /**
   * Queues one audit entry (written with the next flush); with the credential scope of the batch it names
   * (`scope`), the write is an event of that batch's timeline too.
   */
  audit(entry: AuditEntry, scope?: string): void {
    if (!this.db && !this.queueing) return;
    if (this.audits.length >= MAX_PENDING) {
      this.dropped++;
      return;
    }
    this.audits.push({ ...entry, key: randomUUID() });
    if (scope !== undefined && entry.provider && entry.providerBatchId)
      this.record(
        { provider: entry.provider, scope, providerBatchId: entry.providerBatchId },
        {
          kind: 'WRITE',
          at: entry.at,
          mutation: entry.mutation,
          subject: entry.subject,
          tenant: entry.tenant,
          outcome: entry.outcome,
          code: entry.code,
        },
      );
    this.schedule();
  }

  /** Queues an event of a batch's timeline that the gateway's parts tell (a write, a webhook, an expiry). */
  record(key: BatchKey, event: TimelineInput): void {
    if (!this.db && !this.queueing) return;
    const { kind, at, ...detail } = event;
    this.queueEvent({ key, at: at.getTime(), kind, detail });
  }

  /**
   * The provider answered that a batch past its `expiresAt` is gone: an `EXPIRED` event in its timeline, once per
   * replica while its reading stays in memory (`reading` put it there).
   */
  noteExpired(key: BatchKey, at: Date): void {
    const cached = this.cache.get(keyOf(key));
    if (cached?.expiredNoted) return;
    if (cached) cached.expiredNoted = true;
    this.record(key, { kind: 'EXPIRED', at });
  }

  /**
   * A state the poll hub published (only the replica that polls a batch publishes its states): its stale mark and
   * its health. A stale period opens at the first mark, and ends with the first fresh reading after it. A health
   * change is a `HEALTH` event and is stored (a first health that is `OK` is stored without an event); an
   * unchanged one is stored again every third of `healthValidMs`, so a health nobody judges any more turns
   * `UNKNOWN` in what the ledger answers.
   */
  published(key: BatchKey, batch: Batch): void {
    if (!this.db && !this.queueing) return;
    this.staleMark(key, batch);
    if (batch.health && batch.healthSince) this.judged(key, batch as Batch & HealthVerdict & { healthSince: Date });
  }

  private judged(key: BatchKey, verdict: HealthVerdict & { healthSince: Date }): void {
    const id = keyOf(key);
    const cached = this.cache.get(id);
    const now = this.now();
    const last = cached?.health;
    const changed = last?.health !== verdict.health || last.since !== verdict.healthSince.getTime();
    if (!changed && now - last!.writtenAt < this.healthValidMs() / 3) return;
    const stored: StoredHealth = {
      health: verdict.health,
      since: verdict.healthSince.getTime(),
      reason: verdict.healthReason,
      at: now,
    };
    if (cached) cached.health = { ...stored, writtenAt: now };
    if (changed && (last !== undefined || verdict.health !== 'OK'))
      this.queueEvent({
        key,
        at: stored.since,
        kind: 'HEALTH',
        detail: { health: verdict.health, previousHealth: last?.health ?? null, reason: verdict.healthReason },
      });
    this.pendingFor(key, id).health = stored;
    this.schedule();
  }

  private healthValidMs(): number {
    return this.options.healthValidMs ?? DEFAULT_HEALTH_VALID_MS;
  }

  /**
   * A batch's health as the ledger knows it: the stored verdict while it is current (judged within
   * `healthValidMs`), else `UNKNOWN` for a RUNNING batch (nobody judges it: no judgment stored, or none that can be
   * read) and `OK` for any other.
   */
  async health(key: BatchKey, status: Batch['status']): Promise<HealthVerdict> {
    const cached = this.cache.get(keyOf(key))?.health;
    let stored: StoredHealth | null | undefined = cached;
    // This replica's own judgment while it keeps judging (it stores it again every third of the validity); else the
    // store's, which another replica may have judged since.
    if (!stored || stored.at < this.now() - this.healthValidMs() / 2) {
      const row = await this.read('read', (db) => healthRow(db, key));
      const fromStore = row ? storedHealthOf(row) : null;
      if (!stored || (fromStore && fromStore.at > stored.at)) stored = fromStore;
    }
    return currentHealth(stored, status, this.healthCutoff());
  }

  /**
   * What a health tracker starts from: the batch's recent progress samples and status changes, and its stored
   * health while current. Undefined when the store cannot be read.
   */
  async healthSeed(key: BatchKey): Promise<HealthSeed | undefined> {
    await this.flushNow();
    const seed = await this.read('read', async (db) => {
      const points = await healthRows(db, key, HEALTH_SEED_POINTS);
      const row = await healthRow(db, key);
      const stored = row ? storedHealthOf(row) : null;
      const current = stored && stored.at >= this.healthCutoff();
      return { points, ...(current ? { last: verdictOf(stored) } : {}) };
    });
    return seed;
  }

  /**
   * Batches submitted through batchql that have not finished, newest submission first, at most `limit`: what the
   * background watch keeps reading (`live/background.ts`).
   */
  async unfinishedSubmissions(limit: number): Promise<{ key: BatchKey; tenant: string | null }[] | undefined> {
    await this.flushNow();
    const rows = await this.read('list', (db) =>
      db
        .selectFrom('ledger_batches')
        .select(['provider', 'scope', 'provider_batch_id', 'submitted_tenant'])
        .where('submitted', '=', 1)
        .where('is_terminal', '=', 0)
        .orderBy('submitted_at', 'desc')
        .limit(limit)
        .execute(),
    );
    return rows?.map((r) => ({
      key: { provider: r.provider as ProviderName, scope: r.scope, providerBatchId: r.provider_batch_id },
      tenant: r.submitted_tenant,
    }));
  }

  /** The stale-period part of `published`. */
  private staleMark(key: BatchKey, batch: Batch): void {
    const id = keyOf(key);
    const open = this.staleOpen.get(id);
    const reason = batch.stale ? (batch.staleReason ?? 'POLL_FAILED') : undefined;
    if (open === reason) return;
    const at = this.now();
    if (open !== undefined) {
      this.staleOpen.delete(id);
      this.queueEvent({ key, at, end: true });
    }
    if (reason !== undefined) {
      this.staleOpen.set(id, reason);
      this.queueEvent({ key, at, kind: 'STALE', detail: { reason } });
    }
  }

  private queueEvent(event: QueuedEvent): void {
    if (this.events.length >= MAX_PENDING) {
      this.dropped++;
      return;
    }
    this.events.push(event);
    this.schedule();
  }

  /**
   * The stored reading of a batch, when the ledger has one: from memory, else from the store (then
   * remembered). Undefined when unknown or when the store cannot be read (the caller reads through).
   */
  async reading(key: BatchKey): Promise<StoredReading | undefined> {
    const id = keyOf(key);
    const cached = this.cache.get(id);
    if (cached) {
      this.touch(id, cached);
      return {
        batch: parseReading(cached.text),
        lacks: cached.lacks,
        terminal: cached.terminal,
        from: 'memory',
        readAt: cached.seenAt,
      };
    }
    const row = await this.read('read', (db) =>
      db.selectFrom('ledger_batches').selectAll().where(isKey(key)).executeTakeFirst(),
    );
    if (!row) return undefined;
    const lacks = JSON.parse(row.lacks) as string[];
    this.remember(id, {
      text: row.reading,
      seenAt: Number(row.read_at),
      shape: {
        status: row.status,
        providerStatus: row.provider_status,
        processed: row.processed,
        failed: row.failed,
        total: row.total,
      },
      print: fingerprintOf(row.reading),
      lacks,
      terminal: row.is_terminal === 1,
      viewers: new Set(),
      facts: factsOf(row),
    });
    return {
      batch: parseReading(row.reading),
      lacks,
      terminal: row.is_terminal === 1,
      from: 'store',
      readAt: Number(row.read_at),
    };
  }

  /** The latest reading in memory only (no store read): what the upstream cost estimate may count on. */
  remembered(key: BatchKey): { terminal: boolean; lacks: readonly string[] } | undefined {
    const cached = this.cache.get(keyOf(key));
    return cached ? { terminal: cached.terminal, lacks: cached.lacks } : undefined;
  }

  /** Tells the observer that a read was answered from the ledger (`from`: memory or store). */
  served(provider: ProviderName, from: 'memory' | 'store'): void {
    this.options.observer?.served(provider, from);
  }

  /** How batchql knows a batch; undefined when it does not (or the store cannot say). */
  async facts(key: BatchKey): Promise<BatchFacts | undefined> {
    const cached = this.cache.get(keyOf(key));
    if (cached?.facts) return cached.facts;
    await this.flushNow();
    const row = await this.read('read', (db) =>
      db
        .selectFrom('ledger_batches')
        .select(['first_seen_at', 'submitted', 'submitted_at', 'submitted_by', 'submitted_tenant'])
        .where(isKey(key))
        .executeTakeFirst(),
    );
    if (!row) return undefined;
    const facts = factsOf(row);
    if (cached) cached.facts = facts;
    return facts;
  }

  /**
   * One page of the batches of `provider` in `scope` (those `viewer` saw or submitted, when it is set), in
   * `order`, filtered as a provider's list would be: the list of a provider without one, and of every provider
   * when the filter has a part only the ledger answers (`batch-list.ts`). The token is a keyset position (the
   * sort value and insertion order of the last row), so pages stay put as rows are added.
   */
  async page(
    provider: ProviderName,
    scope: string,
    viewer: string | null,
    filter: BatchListFilter,
    order: ListOrder,
    token: string | number | null,
    size: number,
  ): Promise<ListPage> {
    await this.flushNow();
    if (!this.db) return { items: [], next: null, total: 0 };
    const column =
      order.field === 'CREATED_AT'
        ? 'b.sort_created'
        : order.field === 'STARTED_AT'
          ? 'b.started_at'
          : 'b.completed_at';
    const desc = order.direction === 'DESC';
    const after = parseToken(token);
    const part: Visible = { provider, scope, viewer };
    const base = (db: Kysely<LedgerTables>) =>
      db
        .selectFrom('ledger_batches as b')
        .where((eb) => visibleCondition(eb, part, searchDrives(db, filter)))
        .where((eb) => filterCondition(db, eb, filter, this.healthCutoff()));
    // Two steps: the page's row numbers (the sort runs over narrow rows, not over stored readings), then its rows.
    const rows = await this.read('list', async (db) => {
      let q = base(db).select(['b.seq']);
      if (after) {
        const { k, s } = after;
        q = q.where((eb) =>
          k === null
            ? eb.and([eb(column, 'is', null), eb('b.seq', desc ? '<' : '>', s)])
            : eb.or([
                eb(column, desc ? '<' : '>', k),
                eb.and([eb(column, '=', k), eb('b.seq', desc ? '<' : '>', s)]),
                eb(column, 'is', null),
              ]),
        );
      }
      const seqs = (
        await q
          .orderBy(sql`${sql.ref(column)} is null`)
          .orderBy(column, desc ? 'desc' : 'asc')
          .orderBy('b.seq', desc ? 'desc' : 'asc')
          .limit(size + 1)
          .execute()
      ).map((r) => r.seq);
      if (seqs.length === 0) return [];
      const found = await db.selectFrom('ledger_batches').selectAll().where('seq', 'in', seqs).execute();
      const bySeq = new Map(found.map((row) => [Number(row.seq), row]));
      return seqs.flatMap((seq) => bySeq.get(Number(seq)) ?? []);
    });
    // The total is counted with the first page; later pages carry it in their cursors (the merge keeps it).
    const total =
      after === null
        ? await this.read('list', (db) =>
            base(db)
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirst(),
          )
        : undefined;
    if (!rows)
      throw new GatewayError(
        ErrorCode.LEDGER_UNAVAILABLE,
        `${provider}: its batches are listed from the ledger, which cannot be read now`,
        { provider },
      );
    const more = rows.length > size;
    const shown = rows.slice(0, size);
    const last = shown.at(-1);
    const items = shown.map((row) => {
      const batch = parseReading(row.reading);
      batch.servedFrom = 'LEDGER';
      batch.knownSince = new Date(row.first_seen_at);
      return batch;
    });
    const sortValue = (row: BatchRow) =>
      order.field === 'CREATED_AT'
        ? row.sort_created
        : order.field === 'STARTED_AT'
          ? row.started_at
          : row.completed_at;
    return {
      items,
      next: more && last ? JSON.stringify({ k: sortValue(last), s: last.seq }) : null,
      total: total ? Number(total.n) : after === null ? null : undefined,
    };
  }

  /**
   * Audit entries matching `filter`, at most `count` + 1: forward, newest first after the entry `fromId`
   * (exclusive); backward, the ones before it (newer, exclusive), nearest first (the caller reverses them).
   */
  async auditEntries(
    filter: AuditFilter,
    fromId: number | null,
    count: number,
    backward = false,
  ): Promise<StoredAuditEntry[]> {
    await this.flushNow();
    if (!this.db) return [];
    const rows = await this.read('list', (db) => {
      let q = db.selectFrom('ledger_audit').selectAll();
      if (filter.tenant !== undefined) q = q.where('tenant', '=', filter.tenant);
      if (filter.subject !== undefined) q = q.where('subject', '=', filter.subject);
      if (filter.provider !== undefined) q = q.where('provider', '=', filter.provider);
      if (filter.providerBatchId !== undefined) q = q.where('provider_batch_id', '=', filter.providerBatchId);
      if (filter.mutations) q = q.where(filter.mutations.length ? sql<boolean>`true` : NOTHING);
      if (filter.mutations?.length) q = q.where('mutation', 'in', [...filter.mutations]);
      if (filter.from) q = q.where('at', '>=', filter.from.getTime());
      if (filter.to) q = q.where('at', '<', filter.to.getTime());
      if (fromId !== null) q = q.where('id', backward ? '>' : '<', fromId);
      return q
        .orderBy('id', backward ? 'asc' : 'desc')
        .limit(count + 1)
        .execute();
    });
    if (!rows) throw new Error('the ledger could not be read');
    return rows.map((row) => ({
      id: row.id,
      at: new Date(row.at),
      mutation: row.mutation,
      provider: row.provider as ProviderName | null,
      providerBatchId: row.provider_batch_id,
      subject: row.subject,
      tenant: row.tenant,
      client: row.client,
      requestId: row.request_id,
      idempotencyKey: row.idempotency_key,
      outcome: row.outcome as StoredAuditEntry['outcome'],
      code: row.code,
      message: row.message,
    }));
  }

  /**
   * At most `count` + 1 events of a batch's timeline: oldest first after `from`, or (`backward`) latest first
   * before it. Throws when the store cannot be read (the caller answers `LEDGER_UNAVAILABLE`).
   */
  async timeline(
    key: BatchKey,
    from: TimelinePosition | null,
    count: number,
    kinds?: readonly TimelineKind[],
    backward = false,
  ): Promise<TimelineEvent[]> {
    await this.flushNow();
    const rows = await this.read('list', (db) => timelineRows(db, key, from, count, kinds, backward));
    if (!rows) throw new Error('the ledger could not be read');
    return rows;
  }

  /** Every stored point of a batch's progress, oldest first (for `progressSeries`). Throws when unreadable. */
  async progress(key: BatchKey): Promise<ProgressPoint[]> {
    await this.flushNow();
    const rows = await this.read('list', (db) => progressRows(db, key));
    if (!rows) throw new Error('the ledger could not be read');
    return rows;
  }

  /** Counts per provider, status and health of the rows of `parts` matching `filter`. Throws when unreadable. */
  async counts(parts: readonly Visible[], filter: BatchListFilter) {
    await this.flushNow();
    const rows = await this.read('list', (db) => countRows(db, parts, filter, this.healthCutoff()));
    if (!rows) throw new Error('the ledger could not be read');
    return rows;
  }

  /**
   * One round of upkeep (docs/ledger.md, "Retention"): thins the progress samples that aged past a tier, then
   * prunes batches finished more than `retentionMs` ago (with their timelines and sightings) and audit entries
   * older than `auditRetentionMs` (0: kept). Works in bounded steps, yielding between them; a failure is counted
   * and the next round goes on.
   */
  async upkeep(retentionMs: number, auditRetentionMs: number): Promise<UpkeepReport | undefined> {
    if (!this.db) return undefined;
    await this.flushNow();
    const now = this.now();
    const report = await this.read('read', async (db) => {
      const thinned = await thin(db, now);
      const pruned = await prune(db, now, retentionMs, auditRetentionMs);
      return { ...pruned, thinned };
    });
    // Pruned batches leave this replica's memory too: a read of one goes to its provider again.
    for (const key of report?.prunedKeys ?? []) this.cache.delete(keyOf(key));
    return report;
  }

  /** Stored health judged before this (epoch ms) no longer counts: the batch's health is unknown. */
  healthCutoff(): number {
    return this.now() - this.healthValidMs();
  }

  /** The ledger's health for `/ready`. */
  state(): LedgerState {
    const pending = this.pending.size + this.audits.length + this.events.length;
    const counts = { writeFailures: this.writeFailures, readFailures: this.readFailures, pending };
    const error = this.lastError ? { lastError: this.lastError } : {};
    if (!this.store) return { state: this.unavailable ? 'unavailable' : 'off', ...counts, ...error };
    return {
      state: this.lastWriteFailed ? 'failing' : 'ok',
      location: this.store.location,
      ...counts,
      ...error,
    };
  }

  /** Rows dropped while the store failed (bounded queue). */
  get droppedRows(): number {
    return this.dropped;
  }

  /** Bytes of the store on disk (0 without one). */
  size(): number {
    return this.store?.size() ?? 0;
  }

  /** Entries in the memory cache. */
  get cacheEntries(): number {
    return this.cache.size;
  }

  /**
   * Writes what waits now (the next flush's rows), and waits for a flush under way. While a failed store's
   * backoff runs it writes nothing (reads go on with what the store has), unless `force` (closing).
   */
  async flushNow(force = false): Promise<void> {
    if (!force && Date.now() < this.retryAt) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.flushing) await this.flushing;
    if (this.pending.size === 0 && this.audits.length === 0 && this.events.length === 0) return;
    this.flushing = this.flush().finally(() => (this.flushing = undefined));
    await this.flushing;
    // Rows a failed flush put back are tried again after its backoff.
    if (this.pending.size > 0 || this.audits.length > 0 || this.events.length > 0) this.schedule();
  }

  /**
   * Whether an entry can be stored now (`LEDGER_AUDIT_REQUIRED`): what waits is written first, and a store that
   * failed is probed with a trivial statement (within the store's deadline).
   */
  async canStore(): Promise<boolean> {
    if (!this.db) return false;
    await this.flushNow(true);
    if (this.lastWriteFailed) return false;
    try {
      await sql`select 1`.execute(this.db);
      return true;
    } catch {
      return false;
    }
  }

  /** Writes what waits, then closes the store. */
  async close(): Promise<void> {
    await this.flushNow(true);
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.store?.close();
  }

  private schedule(): void {
    if (this.timer || this.flushing || this.closed || !this.db) return;
    // After a failure, the next attempt waits out its backoff (a locked or full store is not hammered).
    const wait = Math.max(this.options.flushMs ?? DEFAULT_FLUSH_MS, this.retryAt - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // The timer itself waited out the backoff (it may fire a millisecond early by the wall clock: a check of
      // `retryAt` here would skip the flush and leave nothing scheduled).
      void this.flushNow(true);
    }, wait);
    this.timer.unref();
  }

  private pendingFor(key: BatchKey, id: string): Pending {
    let waiting = this.pending.get(id);
    if (!waiting) {
      if (this.pending.size >= MAX_PENDING) {
        this.dropped++;
        return { key, viewers: new Set(), at: this.now() };
      }
      waiting = { key, viewers: new Set(), at: this.now() };
      this.pending.set(id, waiting);
    }
    return waiting;
  }

  private remember(id: string, entry: Cached): void {
    this.cache.delete(id);
    this.cache.set(id, entry);
    if (this.cache.size > this.options.cacheMaxEntries) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
  }

  private touch(id: string, entry: Cached): void {
    this.cache.delete(id);
    this.cache.set(id, entry);
  }

  /** One transaction: every waiting reading (upserted), sighting, submission and audit entry. */
  private async flush(): Promise<void> {
    const db = this.db;
    if (!db) return;
    const batches = [...this.pending.values()];
    const audits = this.audits;
    const events = this.events;
    this.pending = new Map();
    this.audits = [];
    this.events = [];
    const started = performance.now();
    const outbox = this.options.outbox;
    let notified = { events: 0, deliveries: 0 };
    try {
      await db.transaction().execute(async (trx) => {
        // First readings are compared with the stored row before the upsert replaces it.
        const firsts = await firstEvents(trx, batches, (p) => this.forgetPoorer(p));
        await writePending(trx, batches);
        const all = [...firsts.events, ...events];
        await writeEvents(trx, all, firsts.stored);
        if (outbox) notified = await outbox.write(trx, all.flatMap(changeFor), this.now());
        // Each entry's key is unique: a transaction whose commit was cut off and is tried again adds none twice.
        for (const a of audits)
          await trx
            .insertInto('ledger_audit')
            .values(auditRow(a))
            .onConflict((oc) => oc.column('origin').doNothing())
            .execute();
      });
      this.lastWriteFailed = false;
      this.backoffMs = 0;
      this.retryAt = 0;
      this.options.observer?.written('batch', batches.length);
      if (audits.length > 0) this.options.observer?.written('audit', audits.length);
      if (notified.deliveries > 0) outbox?.written(notified);
    } catch (error) {
      // Kept for the next attempt, in order, within the bound (beyond it the oldest are dropped and counted).
      this.requeue(batches, audits, events);
      this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs === 0 ? FIRST_BACKOFF_MS : this.backoffMs * 2);
      this.retryAt = Date.now() + this.backoffMs;
      this.fail('write', error);
    } finally {
      this.options.observer?.timed('flush', (performance.now() - started) / 1000);
    }
  }

  /**
   * A reading the store kept its fuller one over (`firstEvents`) leaves memory, so the next read loads the fuller
   * one from the store: unless a newer reading replaced it meanwhile.
   */
  private forgetPoorer(p: Pending): void {
    const id = keyOf(p.key);
    const cached = this.cache.get(id);
    if (cached && !cached.facts && cached.shape.status === p.first?.shape.status) this.cache.delete(id);
  }

  /** Puts the rows of a failed flush back before those that came meanwhile (newer readings win). */
  private requeue(batches: Pending[], audits: QueuedAudit[], events: QueuedEvent[]): void {
    const merged = new Map<string, Pending>();
    for (const p of batches) merged.set(keyOf(p.key), p);
    for (const [id, later] of this.pending) {
      const earlier = merged.get(id);
      if (!earlier) {
        merged.set(id, later);
        continue;
      }
      for (const viewer of later.viewers) earlier.viewers.add(viewer);
      if (later.batch) {
        earlier.batch = later.batch;
        earlier.text = later.text;
        earlier.lacks = later.lacks;
      }
      earlier.submission = later.submission ?? earlier.submission;
      earlier.health = later.health ?? earlier.health;
      earlier.first ??= later.first;
    }
    const overBatches = Math.max(0, merged.size - MAX_PENDING);
    this.pending = new Map([...merged].slice(overBatches));
    const all = [...audits, ...this.audits];
    const overAudits = Math.max(0, all.length - MAX_PENDING);
    this.audits = all.slice(overAudits);
    const allEvents = [...events, ...this.events];
    const overEvents = Math.max(0, allEvents.length - MAX_PENDING);
    this.events = allEvents.slice(overEvents);
    this.dropped += overBatches + overAudits + overEvents;
  }

  private async read<T>(op: 'read' | 'list', run: (db: Kysely<LedgerTables>) => Promise<T>): Promise<T | undefined> {
    if (!this.db) return undefined;
    const started = performance.now();
    try {
      return await run(this.db);
    } catch (error) {
      this.fail('read', error);
      return undefined;
    } finally {
      this.options.observer?.timed(op, (performance.now() - started) / 1000);
    }
  }

  private fail(op: 'write' | 'read', error: unknown): void {
    if (op === 'write') {
      this.writeFailures++;
      this.lastWriteFailed = true;
    } else this.readFailures++;
    this.lastError = (error as Error)?.message ?? String(error);
    this.options.observer?.failed(op);
    this.failuresSinceWarn++;
    const now = Date.now();
    if (now - this.lastWarnAt < WARN_EVERY_MS) return;
    this.lastWarnAt = now;
    this.options.log.warn(
      { op, failures: this.failuresSinceWarn, dropped: this.dropped, err: error },
      `ledger: a ${op} failed; reads and writes go on without it (docs/ledger.md, "When the store fails")`,
    );
    this.failuresSinceWarn = 0;
  }
}

function sameFields(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((f) => b.includes(f));
}

/** True when a reading lacking `lacks` has every field one lacking `other` has. */
function covers(lacks: readonly string[], other: readonly string[]): boolean {
  return lacks.every((f) => other.includes(f));
}

function factsOf(
  row: Pick<BatchRow, 'first_seen_at' | 'submitted' | 'submitted_at' | 'submitted_by' | 'submitted_tenant'>,
): BatchFacts {
  return {
    firstSeenAt: new Date(Number(row.first_seen_at)),
    submitted: row.submitted === 1,
    submittedAt: date(row.submitted_at === null ? null : Number(row.submitted_at)),
    submittedBy: row.submitted_by,
    submittedTenant: row.submitted_tenant,
  };
}

/** The health columns of batch `key`'s row. */
function healthRow(db: Kysely<LedgerTables>, key: BatchKey) {
  return db
    .selectFrom('ledger_batches')
    .select(['health', 'health_since', 'health_reason', 'health_at'])
    .where(isKey(key))
    .executeTakeFirst();
}

function storedHealthOf(
  row: Pick<BatchRow, 'health' | 'health_since' | 'health_reason' | 'health_at'>,
): StoredHealth | null {
  if (row.health === null || row.health_since === null || row.health_at === null) return null;
  return {
    health: row.health as BatchHealth,
    since: Number(row.health_since),
    reason: row.health_reason,
    at: Number(row.health_at),
  };
}

const verdictOf = (s: StoredHealth): HealthVerdict => ({
  health: s.health,
  healthSince: new Date(s.since),
  healthReason: s.reason,
});

/**
 * The health a batch has now, from what was stored (`cutoff`: stored health judged before it is out of date): a
 * batch that is not RUNNING is `OK` (it waits or it finished: nothing to stall).
 */
function currentHealth(stored: StoredHealth | null, status: Batch['status'], cutoff: number): HealthVerdict {
  if (status !== 'RUNNING')
    return { health: 'OK', healthSince: stored?.health === 'OK' ? new Date(stored.since) : null, healthReason: null };
  if (stored && stored.at >= cutoff) return verdictOf(stored);
  return {
    health: 'UNKNOWN',
    healthSince: stored ? new Date(stored.at) : null,
    healthReason: 'nobody watches this running batch, so batchql cannot say whether it moves',
  };
}

function parseToken(token: string | number | null): { k: number | null; s: number } | null {
  if (typeof token !== 'string') return null;
  try {
    const { k, s } = JSON.parse(token) as { k?: unknown; s?: unknown };
    if ((k === null || typeof k === 'number') && typeof s === 'number') return { k, s };
  } catch {
    // Not a token of this list: the first page (cursors are signed, so only a bug gets here).
  }
  return null;
}

/** Rows per statement: a multi-row insert keeps well under SQLite's 32,766 bound parameters. */
const ROWS_PER_STATEMENT = 400;

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += ROWS_PER_STATEMENT) out.push(items.slice(i, i + ROWS_PER_STATEMENT));
  return out;
}

/**
 * Writes a flush's rows: every changed reading in multi-row upserts (a statement per 400 rows rather than
 * per row: the flush's cost is mostly statements, not rows), the submissions, and the sightings.
 */
async function writePending(trx: Kysely<LedgerTables>, pending: Pending[]): Promise<void> {
  const readings = pending.filter((p) => p.batch && p.text !== undefined);
  for (const chunk of chunks(readings)) {
    await trx
      .insertInto('ledger_batches')
      .values(
        chunk.map((p) => {
          const b = p.batch!;
          const extra = b as { batchType?: string | null; pendingRecords?: number | null };
          const created = timeOf(b.createdAt);
          return {
            provider: p.key.provider,
            scope: p.key.scope,
            provider_batch_id: p.key.providerBatchId,
            status: b.status,
            provider_status: b.providerStatus,
            is_terminal: b.isTerminal ? 1 : 0,
            total: b.progress.total,
            processed: b.progress.processed,
            failed: b.progress.failed,
            batch_type: extra.batchType ?? null,
            pending_records: extra.pendingRecords ?? null,
            created_at: created,
            started_at: timeOf(b.startedAt),
            completed_at: timeOf(b.completedAt),
            reading: p.text!,
            read_at: b.observedAt.getTime(),
            lacks: JSON.stringify(p.lacks ?? []),
            sort_created: created ?? p.at,
            first_seen_at: p.at,
            finished_at: b.isTerminal ? (timeOf(b.completedAt) ?? b.observedAt.getTime()) : null,
            search_text: searchTextOf(b),
          };
        }),
      )
      .onConflict((oc) =>
        oc.columns(['provider', 'scope', 'provider_batch_id']).doUpdateSet((eb) => ({
          status: eb.ref('excluded.status'),
          provider_status: eb.ref('excluded.provider_status'),
          is_terminal: eb.ref('excluded.is_terminal'),
          total: eb.ref('excluded.total'),
          processed: eb.ref('excluded.processed'),
          failed: eb.ref('excluded.failed'),
          batch_type: eb.ref('excluded.batch_type'),
          pending_records: eb.ref('excluded.pending_records'),
          created_at: eb.ref('excluded.created_at'),
          started_at: eb.ref('excluded.started_at'),
          completed_at: eb.ref('excluded.completed_at'),
          reading: eb.ref('excluded.reading'),
          read_at: eb.ref('excluded.read_at'),
          lacks: eb.ref('excluded.lacks'),
          // Finished: its completion time, else when it was first read finished (kept from that reading).
          finished_at: sql<number | null>`case when excluded.is_terminal = 1
            then coalesce(excluded.completed_at, ledger_batches.finished_at, excluded.finished_at) end`,
          search_text: eb.ref('excluded.search_text'),
          // A creation time learnt later replaces first sight; none keeps the row where it was first listed.
          sort_created: sql<number>`coalesce(excluded.created_at, ledger_batches.first_seen_at)`,
        })),
      )
      .execute();
  }
  for (const p of pending.filter((q) => q.health))
    await trx
      .updateTable('ledger_batches')
      .set({
        health: p.health!.health,
        health_since: p.health!.since,
        health_reason: p.health!.reason,
        health_at: p.health!.at,
      })
      .where(isKey(p.key))
      .execute();
  for (const p of pending.filter((q) => q.submission))
    await trx
      .updateTable('ledger_batches')
      .set({
        submitted: 1,
        submitted_at: p.submission!.at,
        submitted_by: p.submission!.subject,
        submitted_tenant: p.submission!.tenant,
      })
      .where(isKey(p.key))
      .execute();
  const sightings = pending.flatMap((p) =>
    [...p.viewers].map((viewer) => ({
      provider: p.key.provider,
      scope: p.key.scope,
      provider_batch_id: p.key.providerBatchId,
      viewer,
      first_seen_at: p.at,
    })),
  );
  for (const chunk of chunks(sightings))
    await trx
      .insertInto('ledger_viewers')
      .values(chunk)
      .onConflict((oc) => oc.doNothing())
      .execute();
}

/**
 * The events of readings that came with no earlier one in this replica's memory (`Pending.first`): compared
 * with the stored row, read in one statement per provider, scope and 400 ids; a batch never stored starts its
 * timeline with a status event. Answers the events, and the rows it read (their row numbers stay as they are).
 */
async function firstEvents(
  trx: Kysely<LedgerTables>,
  pending: Pending[],
  kept: (p: Pending) => void,
): Promise<{ events: QueuedEvent[]; stored: ReadonlyMap<string, StoredShape> }> {
  const firsts = pending.filter((p) => p.first);
  if (firsts.length === 0) return { events: [], stored: new Map() };
  const stored = await storedRows(
    trx,
    firsts.map((p) => p.key),
  );
  const events = firsts.flatMap((p) => {
    const row = stored.get(keyOf(p.key));
    // A poorer reading of a finished batch in the same status leaves the stored, fuller one (as `observe` does in
    // memory): only its sighting is written.
    if (row?.terminal && row.status === p.batch?.status && !covers(p.lacks ?? [], row.lacks)) {
      delete p.batch;
      delete p.text;
      kept(p);
      return [];
    }
    return changeOf(p.key, row, p.first!.shape, p.first!.at) ?? [];
  });
  return { events, stored };
}

/** A stored row as a flush compares readings with it. */
interface StoredShape extends Shape {
  seq: number;
  terminal: boolean;
  lacks: readonly string[];
}

/** The stored rows of `keys` (their number and the shape a timeline compares), in one statement per 400 keys. */
async function storedRows(trx: Kysely<LedgerTables>, keys: BatchKey[]): Promise<Map<string, StoredShape>> {
  const groups = new Map<string, BatchKey[]>();
  for (const key of keys) {
    const group = `${key.provider}\u0000${key.scope}`;
    const members = groups.get(group);
    if (members) members.push(key);
    else groups.set(group, [key]);
  }
  const stored = new Map<string, StoredShape>();
  for (const group of groups.values())
    for (const chunk of chunks([...new Set(group.map((k) => k.providerBatchId))])) {
      const { provider, scope } = group[0]!;
      const rows = await trx
        .selectFrom('ledger_batches')
        .select([
          'seq',
          'provider_batch_id',
          'status',
          'provider_status',
          'processed',
          'failed',
          'total',
          'is_terminal',
          'lacks',
        ])
        .where('provider', '=', provider)
        .where('scope', '=', scope)
        .where('provider_batch_id', 'in', chunk)
        .execute();
      for (const r of rows)
        stored.set(keyOf({ provider, scope, providerBatchId: r.provider_batch_id }), {
          seq: Number(r.seq),
          terminal: r.is_terminal === 1,
          lacks: JSON.parse(r.lacks) as string[],
          status: r.status,
          providerStatus: r.provider_status,
          processed: r.processed,
          failed: r.failed,
          total: r.total,
        });
    }
  return stored;
}

/**
 * The event of a reading `now` after `before` (undefined: none stored): a status change (the first reading
 * of a batch is one, from no status), else a progress sample when its counts moved, else none.
 */
function changeOf(key: BatchKey, before: Shape | undefined, now: Shape, at: number): QueuedEvent | undefined {
  if (before && before.status === now.status && sameCounts(before, now)) return undefined;
  const status = !before || before.status !== now.status;
  return {
    key,
    at,
    kind: status ? 'STATUS' : 'PROGRESS',
    shape: now,
    ...(status ? { detail: { previousStatus: before?.status ?? null, providerStatus: now.providerStatus } } : {}),
  };
}

/** Writes timeline events in multi-row inserts, then closes the stale periods that ended. */
async function writeEvents(
  trx: Kysely<LedgerTables>,
  events: QueuedEvent[],
  known: ReadonlyMap<string, StoredShape>,
): Promise<void> {
  if (events.length === 0) return;
  // Each event goes under its batch's row; an event of a batch the ledger has no row of (a write refused for an
  // id never read) has no timeline to join. Rows `firstEvents` already read keep their numbers: only the others
  // (rows this flush added, batches with a reading in memory) are looked up.
  const stored = new Map(known);
  const missing = events.map((e) => e.key).filter((key) => !known.has(keyOf(key)));
  for (const [id, row] of await storedRows(trx, missing)) stored.set(id, row);
  const rows = events.flatMap((e) => {
    const seq = stored.get(keyOf(e.key))?.seq;
    return 'end' in e || seq === undefined
      ? []
      : [
          {
            batch_seq: seq,
            at: e.at,
            kind: e.kind,
            status: e.shape?.status ?? (typeof e.detail?.status === 'string' ? e.detail.status : null),
            processed: e.shape?.processed ?? null,
            failed: e.shape?.failed ?? null,
            total: e.shape?.total ?? null,
            detail: e.detail && Object.keys(e.detail).length > 0 ? JSON.stringify(e.detail) : null,
            ended_at: null,
          },
        ];
  });
  for (const chunk of chunks(rows)) await trx.insertInto('ledger_events').values(chunk).execute();
  for (const e of events) {
    const seq = stored.get(keyOf(e.key))?.seq;
    if ('end' in e && seq !== undefined)
      await trx
        .updateTable('ledger_events')
        .set({ ended_at: e.at })
        .where('batch_seq', '=', seq)
        .where('kind', '=', 'STALE')
        .where('ended_at', 'is', null)
        .execute();
  }
}

/** A queued event as the outbox reads it (a stale period's end is none). */
function changeFor(e: QueuedEvent): LedgerChange[] {
  if ('end' in e) return [];
  const previous = e.detail?.previousStatus;
  return [
    {
      key: e.key,
      at: e.at,
      kind: e.kind,
      status: e.shape?.status ?? null,
      previousStatus: typeof previous === 'string' ? previous : null,
      processed: e.shape?.processed ?? null,
      failed: e.shape?.failed ?? null,
      detail: e.detail,
    },
  ];
}

function auditRow(a: QueuedAudit) {
  return {
    at: a.at.getTime(),
    mutation: a.mutation,
    provider: a.provider,
    provider_batch_id: a.providerBatchId,
    subject: a.subject,
    tenant: a.tenant,
    client: a.client,
    request_id: a.requestId,
    idempotency_key: a.idempotencyKey,
    outcome: a.outcome,
    code: a.code,
    message: a.message,
    origin: `local:${a.key}`,
  };
}
