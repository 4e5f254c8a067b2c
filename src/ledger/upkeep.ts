import { sql, type Kysely } from 'kysely';
import type { ProviderName } from '../domain/batch.js';
import { SAMPLE_TIERS } from './events.js';
import type { BatchKey } from './batch-key.js';
import type { LedgerTables } from './tables.js';

/** What one round of upkeep did. */
export interface UpkeepReport {
  /** Progress samples thinned away. */
  thinned: number;
  /** Batches pruned (finished before the retention), with their timelines and sightings. */
  pruned: number;
  prunedKeys: BatchKey[];
  /** Audit entries pruned. */
  auditPruned: number;
}

/** Rows one step deletes: a step is one short statement (SQLite runs on the event loop), then the loop yields. */
const STEP_ROWS = 1_000;
/** Steps one round takes at most: what is left waits for the next round (`LEDGER_MAINTENANCE_MS`). */
const MAX_STEPS = 40;

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Runs `step` (a delete of at most `STEP_ROWS` rows, answering how many went), yielding to the event loop after
 * each, until one deletes fewer or `steps` are used up. Answers the rows deleted and the steps taken.
 */
async function inSteps(steps: number, step: () => Promise<number>): Promise<{ deleted: number; used: number }> {
  let deleted = 0;
  let used = 0;
  while (used < steps) {
    used++;
    const n = await step();
    deleted += n;
    await yieldToLoop();
    if (n < STEP_ROWS) break;
  }
  return { deleted, used };
}

/**
 * Where each tier's thinning got to (the start of the bucket its last round ended in), per store: a round looks
 * only at samples that aged past the tier since, so its work follows the rate of new samples, not the table's size.
 * A new process starts from 0 (one pass over what the store holds, in bounded steps).
 */
const reached = new WeakMap<Kysely<LedgerTables>, number[]>();

/**
 * Thins the progress samples that aged past each tier of `SAMPLE_TIERS`: a sample goes when an earlier sample of
 * the same batch falls in its bucket (so the first of each bucket stays). Status events are never thinned.
 */
export async function thin(db: Kysely<LedgerTables>, now: number): Promise<number> {
  const marks = reached.get(db) ?? SAMPLE_TIERS.map(() => 0);
  reached.set(db, marks);
  let thinned = 0;
  let steps = MAX_STEPS;
  for (const [i, tier] of SAMPLE_TIERS.entries()) {
    const lo = marks[i]!;
    const hi = now - tier.olderThanMs;
    if (hi <= lo) continue;
    const bucket = tier.bucketMs;
    const { deleted, used } = await inSteps(steps, async () => {
      const result = await db
        .deleteFrom('ledger_events')
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('ledger_events as e')
            .select('e.id')
            .where('e.kind', '=', 'PROGRESS')
            .where('e.at', '>=', lo)
            .where('e.at', '<', hi)
            .where(({ exists, selectFrom }) =>
              exists(
                selectFrom('ledger_events as f')
                  .select('f.id')
                  .whereRef('f.batch_seq', '=', 'e.batch_seq')
                  .where('f.kind', '=', 'PROGRESS')
                  .where(sql<boolean>`f.at >= e.at - e.at % ${bucket}`)
                  .where((w) =>
                    w.or([
                      w('f.at', '<', w.ref('e.at')),
                      w.and([w('f.at', '=', w.ref('e.at')), w('f.id', '<', w.ref('e.id'))]),
                    ]),
                  ),
              ),
            )
            .limit(STEP_ROWS),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    });
    thinned += deleted;
    steps -= used;
    // Out of steps: the next round goes on from where this one was (its mark stays).
    if (steps === 0) return thinned;
    // The bucket `hi` falls in may still get samples that age into the tier: the next round looks at it again.
    marks[i] = Math.floor(hi / bucket) * bucket;
  }
  return thinned;
}

/**
 * Prunes batches finished before `now - retentionMs` with their timelines and sightings, and audit entries older
 * than `now - auditRetentionMs` (a retention of 0 keeps everything), each in bounded steps.
 */
export async function prune(
  db: Kysely<LedgerTables>,
  now: number,
  retentionMs: number,
  auditRetentionMs: number,
): Promise<Omit<UpkeepReport, 'thinned'>> {
  const prunedKeys: BatchKey[] = [];
  let auditPruned = 0;
  for (let step = 0; retentionMs > 0 && step < MAX_STEPS; step++) {
    const rows = await db
      .selectFrom('ledger_batches')
      .select(['seq', 'provider', 'scope', 'provider_batch_id'])
      .where('finished_at', '<', now - retentionMs)
      .orderBy('finished_at')
      .limit(STEP_ROWS / 4)
      .execute();
    if (rows.length === 0) break;
    const keys = sql.join(rows.map((r) => sql`(${r.provider}, ${r.scope}, ${r.provider_batch_id})`));
    const seqs = rows.map((r) => r.seq);
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('ledger_events').where('batch_seq', 'in', seqs).execute();
      await sql`delete from ledger_viewers where (provider, scope, provider_batch_id) in (values ${keys})`.execute(trx);
      await trx.deleteFrom('ledger_batches').where('seq', 'in', seqs).execute();
    });
    for (const r of rows)
      prunedKeys.push({ provider: r.provider as ProviderName, scope: r.scope, providerBatchId: r.provider_batch_id });
    await yieldToLoop();
  }
  if (auditRetentionMs > 0)
    auditPruned = (
      await inSteps(MAX_STEPS, async () => {
        const result = await db
          .deleteFrom('ledger_audit')
          .where('id', 'in', (eb) =>
            eb
              .selectFrom('ledger_audit')
              .select('id')
              .where('at', '<', now - auditRetentionMs)
              .limit(STEP_ROWS),
          )
          .executeTakeFirst();
        return Number(result.numDeletedRows);
      })
    ).deleted;
  return { pruned: prunedKeys.length, prunedKeys, auditPruned };
}
