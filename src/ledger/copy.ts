import type { Kysely } from 'kysely';
import type { LedgerStore } from './store.js';
import type { LedgerTables } from './tables.js';

/** Rows per read and per insert: well under both stores' bound-parameter limits. */
const CHUNK = 500;

/** What a copy added to the target (rows already there are counted in `skipped`, not added). */
export interface CopyReport {
  batches: number;
  /** Timeline events, copied with the batches this copy added. */
  events: number;
  sightings: number;
  audits: number;
  skipped: number;
}

/**
 * Copies one ledger into another (`npm run ledger:copy`: the embedded store into PostgreSQL), idempotently:
 * a batch or sighting already in the target is kept as it is, and an audit entry is copied once (its `origin`,
 * unique in the target: its own key, or for an entry without one its source ledger's id and its id there).
 * Batches keep their order (the target numbers them in the source's order), and a batch the copy adds brings
 * its timeline, in the same transaction (under the target's row number): a batch already there keeps its own.
 * Both stores must have the same migrations (both are opened with them).
 */
export async function copyLedger(from: LedgerStore, to: LedgerStore): Promise<CopyReport> {
  const report: CopyReport = { batches: 0, events: 0, sightings: 0, audits: 0, skipped: 0 };
  const source = await from.db
    .selectFrom('ledger_meta')
    .select('value')
    .where('key', '=', 'ledger_id')
    .executeTakeFirstOrThrow();
  for (let after = 0; ;) {
    const rows = await from.db
      .selectFrom('ledger_batches')
      .selectAll()
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(CHUNK)
      .execute();
    if (rows.length === 0) break;
    after = rows.at(-1)!.seq;
    await to.db.transaction().execute(async (trx) => {
      const added = await trx
        .insertInto('ledger_batches')
        .values(rows.map(({ seq: _seq, ...row }) => row))
        .onConflict((oc) => oc.columns(['provider', 'scope', 'provider_batch_id']).doNothing())
        .returning(['seq', 'provider', 'scope', 'provider_batch_id'])
        .execute();
      report.batches += added.length;
      report.skipped += rows.length - added.length;
      const keyOf = (r: { provider: string; scope: string; provider_batch_id: string }) =>
        `${r.provider}\u0000${r.scope}\u0000${r.provider_batch_id}`;
      const targetSeq = new Map(added.map((r) => [keyOf(r), Number(r.seq)]));
      const seqs = new Map(rows.flatMap((r) => (targetSeq.has(keyOf(r)) ? [[r.seq, targetSeq.get(keyOf(r))!]] : [])));
      report.events += await copyEvents(from, trx, seqs);
    });
  }
  for (let offset = 0; ; offset += CHUNK) {
    const rows = await from.db
      .selectFrom('ledger_viewers')
      .selectAll()
      .orderBy('provider')
      .orderBy('scope')
      .orderBy('provider_batch_id')
      .orderBy('viewer')
      .limit(CHUNK)
      .offset(offset)
      .execute();
    if (rows.length === 0) break;
    const result = await to.db
      .insertInto('ledger_viewers')
      .values(rows)
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    const added = Number(result.numInsertedOrUpdatedRows ?? 0);
    report.sightings += added;
    report.skipped += rows.length - added;
  }
  for (let after = 0; ;) {
    const rows = await from.db
      .selectFrom('ledger_audit')
      .selectAll()
      .where('id', '>', after)
      .orderBy('id')
      .limit(CHUNK)
      .execute();
    if (rows.length === 0) break;
    after = rows.at(-1)!.id;
    const result = await to.db
      .insertInto('ledger_audit')
      .values(rows.map(({ id, origin, ...row }) => ({ ...row, origin: origin ?? `${source.value}#${id}` })))
      .onConflict((oc) => oc.column('origin').doNothing())
      .executeTakeFirst();
    const added = Number(result.numInsertedOrUpdatedRows ?? 0);
    report.audits += added;
    report.skipped += rows.length - added;
  }
  return report;
}

/** Copies the timeline events of the source rows `seqs` (source row number → target row number). */
async function copyEvents(
  from: LedgerStore,
  to: Kysely<LedgerTables>,
  seqs: ReadonlyMap<number, number>,
): Promise<number> {
  if (seqs.size === 0) return 0;
  let copied = 0;
  for (let after = 0; ;) {
    const events = await from.db
      .selectFrom('ledger_events')
      .selectAll()
      .where('batch_seq', 'in', [...seqs.keys()])
      .where('id', '>', after)
      .orderBy('id')
      .limit(CHUNK)
      .execute();
    if (events.length === 0) return copied;
    after = events.at(-1)!.id;
    await to
      .insertInto('ledger_events')
      .values(events.map(({ id: _id, batch_seq, ...event }) => ({ ...event, batch_seq: seqs.get(batch_seq)! })))
      .execute();
    copied += events.length;
  }
}
