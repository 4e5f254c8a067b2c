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
  },
  (v): LedgerSettings => ({
    enabled: v.LEDGER === 'on',
    dataDir: v.DATA_DIR,
    cacheMaxEntries: v.LEDGER_CACHE_MAX_ENTRIES,
    cancelOwnBatchesOnly: v.CANCEL_OWN_BATCHES_ONLY,
  }),
  { title: 'Ledger', says: 'What batchql remembers of every batch and write ([ledger.md](ledger.md)).' },
);
