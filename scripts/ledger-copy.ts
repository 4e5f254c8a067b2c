/**
 * `npm run ledger:copy -- --from <DATA_DIR> --to <postgres URL>`: copies an embedded ledger into PostgreSQL
 * (docs/ledger.md, "Moving to PostgreSQL"), idempotently: a second run adds nothing. The target's schema is
 * brought up to date first, as a gateway's start would. Prints what it added.
 */
import { parseArgs } from 'node:util';
import { copyLedger } from '../src/ledger/copy.js';
import { openPostgresLedger } from '../src/ledger/postgres-store.js';
import { urlForLog } from '../src/observability/logging.js';
import { openSqliteLedger } from '../src/ledger/store.js';

const { values } = parseArgs({ options: { from: { type: 'string' }, to: { type: 'string' } } });
if (!values.from || !values.to || !/^postgres(ql)?:\/\//.test(values.to)) {
  console.error('usage: npm run ledger:copy -- --from <DATA_DIR> --to postgres://user:password@host:5432/db');
  process.exit(2);
}
const from = await openSqliteLedger(values.from);
const to = await openPostgresLedger({ url: values.to, poolMax: 2, idleMs: 10_000, deadlineMs: 60_000 });
try {
  const started = Date.now();
  const report = await copyLedger(from, to);
  console.log(
    `ledger:copy ${from.location} → ${urlForLog(values.to)}: ${report.batches} batches (with ${report.events} ` +
      'timeline events), ' +
      `${report.sightings} sightings and ${report.audits} audit entries added, ${report.skipped} already there ` +
      `(${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
} finally {
  await from.close();
  await to.close();
}
