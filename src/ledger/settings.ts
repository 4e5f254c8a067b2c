import { env, fragment } from '../config/settings.js';

/** Settings of the ledger (docs/ledger.md). */
export interface LedgerSettings {
  /** `LEDGER=off`: a pass-through gateway, as before the ledger. */
  enabled: boolean;
  /** The folder of the embedded store (created when missing). */
  dataDir: string;
  /** Latest readings one replica keeps in memory in front of the store. */
  cacheMaxEntries: number;
  /** Cancels of providers whose ids are readable across tenants only by the tenant that submitted the batch. */
  cancelOwnBatchesOnly: boolean;
  /** PostgreSQL instead of the embedded store: one ledger for every replica. */
  databaseUrl?: string;
  poolMax: number;
  idleMs: number;
  /** A store operation slower than this fails (counted; the gateway goes on without it). */
  deadlineMs: number;
  /** Writes refuse (`LEDGER_UNAVAILABLE`) when their audit entry cannot be stored. */
  auditRequired: boolean;
  /** Batches finished longer ago than this are pruned with their timelines (0: kept for ever). */
  retentionDays: number;
  /** Audit entries older than this are pruned (0: kept for ever). */
  auditRetentionDays: number;
  /** How often the background upkeep (retention, thinning of progress samples) runs. */
  maintenanceMs: number;
}

/** `LEDGER`, `DATA_DIR`, `LEDGER_CACHE_MAX_ENTRIES` and `CANCEL_OWN_BATCHES_ONLY`. */
export const ledgerSettings = fragment(
  {
    LEDGER: env
      .oneOf(['on', 'off'] as const, 'on')
      .describe(
        '`on`: batchql remembers every batch it sees and every write ([ledger.md](ledger.md)); `off`: a ' +
          'pass-through, as before (no Gameball list, every read goes upstream, no `auditLog`)',
      ),
    DATA_DIR: env
      .text('./data')
      .describe(
        'the folder of the embedded ledger (`batchql.sqlite` and its write-ahead log), created when missing; one ' +
          'replica each. A folder that cannot be written leaves the gateway working without a ledger, reported in ' +
          "`/ready`'s `ledger`",
      ),
    LEDGER_CACHE_MAX_ENTRIES: env
      .int(20_000, 0, 10_000_000)
      .describe(
        'latest readings one replica keeps in memory in front of the store (least recently used out); a ' +
          "finished batch's read is answered from here without a store read",
      ),
    CANCEL_OWN_BATCHES_ONLY: env
      .bool(false)
      .describe(
        '`true`: a cancel of a batch of a provider whose ids every tenant can read (Check, Gameball) is ' +
          "`FORBIDDEN` unless the caller's tenant submitted it through batchql (the ledger's `submittedTenant`)",
      ),
    DATABASE_URL: env
      .text(undefined, (raw) =>
        /^postgres(ql)?:\/\//.test(raw) ? undefined : 'must be a postgres:// or postgresql:// URL',
      )
      .meta({ fallback: '— (the embedded store in `DATA_DIR`)' })
      .describe(
        'PostgreSQL for the ledger instead of the embedded store: one ledger shared by every replica (the Redis ' +
          'mode); migrations run at start-up under an advisory lock ([ledger.md](ledger.md#postgresql))',
      ),
    LEDGER_PG_POOL_MAX: env.int(10, 1, 1000).describe('PostgreSQL connections one replica may hold for the ledger'),
    LEDGER_PG_IDLE_MS: env
      .int(30_000, 1_000, 3_600_000)
      .describe('an idle PostgreSQL connection of the ledger is closed after this'),
    LEDGER_DEADLINE_MS: env
      .int(2_000, 50, 60_000)
      .describe(
        'a ledger connection or statement slower than this fails: counted, and the gateway goes on without it ' +
          '(reads go to the providers, entries wait in a bounded queue)',
      ),
    LEDGER_AUDIT_REQUIRED: env
      .bool(false)
      .describe(
        '`true`: a write refuses (`LEDGER_UNAVAILABLE`, nothing sent) when the ledger cannot store its audit ' +
          'entry, for deployments that must never lose one',
      ),
    LEDGER_RETENTION_DAYS: env
      .int(90, 0, 36_500)
      .describe(
        'batches that finished longer ago than this many days are pruned, with their timelines, in the background ' +
          'in bounded steps; `0` keeps them for ever',
      ),
    LEDGER_AUDIT_RETENTION_DAYS: env
      .int(365, 0, 36_500)
      .describe('audit entries older than this many days are pruned in the background; `0` keeps them for ever'),
    LEDGER_MAINTENANCE_MS: env
      .int(60_000, 100, 86_400_000)
      .describe(
        "how often the ledger's upkeep runs: retention, and the thinning of progress samples as they age " +
          '([ledger.md](ledger.md#timelines))',
      ),
  },
  (v): LedgerSettings => ({
    enabled: v.LEDGER === 'on',
    dataDir: v.DATA_DIR,
    cacheMaxEntries: v.LEDGER_CACHE_MAX_ENTRIES,
    cancelOwnBatchesOnly: v.CANCEL_OWN_BATCHES_ONLY,
    ...(v.DATABASE_URL ? { databaseUrl: v.DATABASE_URL } : {}),
    poolMax: v.LEDGER_PG_POOL_MAX,
    idleMs: v.LEDGER_PG_IDLE_MS,
    deadlineMs: v.LEDGER_DEADLINE_MS,
    auditRequired: v.LEDGER_AUDIT_REQUIRED,
    retentionDays: v.LEDGER_RETENTION_DAYS,
    auditRetentionDays: v.LEDGER_AUDIT_RETENTION_DAYS,
    maintenanceMs: v.LEDGER_MAINTENANCE_MS,
  }),
  { title: 'Ledger', says: 'What batchql remembers of every batch and write ([ledger.md](ledger.md)).' },
);
