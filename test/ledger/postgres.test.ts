/**
 * The ledger on PostgreSQL (issue 30, docs/ledger.md "PostgreSQL"): two replicas share one, migrations run once
 * when they start together, an outage fails no query and no write and loses no audit entry (or, with
 * `LEDGER_AUDIT_REQUIRED`, refuses the writes), and the copy from the embedded store is idempotent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { simulatorEnv } from '../../src/dev/gateway-env.js';
import { toGlobalId } from '../../src/domain/global-id.js';
import type { Batch } from '../../src/domain/batch.js';
import { copyLedger } from '../../src/ledger/copy.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { openPostgresLedger } from '../../src/ledger/postgres-store.js';
import { openSqliteLedger } from '../../src/ledger/store.js';
import { startGateway } from '../../src/runtime.js';
import { freshDataDir } from '../helpers/data-dir.js';
import { until } from '../helpers/until.js';
import { startHarness } from '../helpers/harness.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startRedis } from '../helpers/redis.js';

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startPostgres();
}, 60_000);
afterAll(() => pg?.close());

const SUBMIT = `mutation($n: String!) { submitGameballBatch(input: { orders: [{ customerId: "c", orderId: $n,
  orderDate: "2026-11-01T10:00:00Z", totalPaid: 1 }] }) { batch { id } userErrors { code } } }`;
const GAMEBALL = '{ batches(first: 100, filter: { providers: [GAMEBALL] }) { edges { node { id } } } }';
const LOG = '{ auditLog(first: 100) { edges { node { id mutation batchId outcome } } } }';

async function post(url: string, query: string, variables?: Record<string, unknown>): Promise<any> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return res.json();
}

describe('two replicas on one PostgreSQL', () => {
  it('each lists what the other submitted; a finished batch costs one upstream call between them', async () => {
    const url = pg.database();
    const h = await startHarness({ env: { DATABASE_URL: url } });
    const other = await startGateway(
      loadConfig({ ...simulatorEnv(h.sims), AUTH_MODE: 'none', PORT: '0', LOG_LEVEL: 'silent', DATABASE_URL: url }),
      { host: '127.0.0.1', now: h.clock.now },
    );
    const otherUrl = `http://127.0.0.1:${other.port}/graphql`;
    try {
      const made = await h.gql(SUBMIT, { n: 'o-replicas' });
      const id = made.data.submitGameballBatch.batch.id as string;
      // What one replica learns is written within a flush (50 ms); the test does not wait for the timer.
      await h.running.ledger!.flushNow();
      const listed = await post(otherUrl, GAMEBALL);
      expect(listed.errors).toBeUndefined();
      expect(listed.data.batches.edges.map((e: any) => e.node.id)).toContain(id);
      // Its audit entry too: one audit log for every replica.
      expect((await post(otherUrl, LOG)).data.auditLog.edges.map((e: any) => e.node.batchId)).toContain(id);

      const done = toGlobalId('FACT_CHECK', h.sims.factCheck.control.idsByState().done![0]!);
      h.resetCounters();
      for (let i = 0; i < 10; i++) {
        const a = await h.gql(`{ node(id: "${done}") { id } }`);
        expect(a.errors).toBeUndefined();
        await h.running.ledger!.flushNow();
        const b = await post(otherUrl, `{ node(id: "${done}") { ... on Batch { servedFrom } } }`);
        expect(b.errors).toBeUndefined();
        expect(b.data.node.servedFrom).toBe('LEDGER');
      }
      const path = `/v1/batch/${h.sims.factCheck.control.idsByState().done![0]!}`;
      expect(h.sims.factCheck.control.requests().filter((r) => r.path === path)).toHaveLength(1);
    } finally {
      await other.close();
      await h.close();
    }
  });

  it('run the migrations once when two replicas start on an empty database together', async () => {
    const url = pg.database();
    const options = { url, poolMax: 2, idleMs: 10_000, deadlineMs: 10_000 };
    const [a, b] = await Promise.all([openPostgresLedger(options), openPostgresLedger(options)]);
    try {
      const ran = await a.db
        .selectFrom('kysely_migration' as never)
        .select('name' as never)
        .execute();
      expect(ran.map((r: any) => r.name).sort()).toEqual([
        '2026-12-07-001-ledger',
        '2026-12-07-002-copy-origin',
        '2026-12-07-003-history',
        '2026-12-07-004-health',
        '2026-12-08-005-notifications',
      ]);
      const ids = await b.db.selectFrom('ledger_meta').select('value').execute();
      expect(ids).toHaveLength(1);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('replica rules', () => {
  it('with REDIS_URL and the embedded store, warns at start and on every list served from it', async () => {
    const redis = await startRedis();
    const h = await startHarness({
      env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: `batchql-ledger-${process.pid}:`, LOG_LEVEL: 'warn' },
    });
    try {
      expect(h.logs.some((l) => l.includes('each replica keeps its own ledger'))).toBe(true);
      const res = await h.gql(GAMEBALL);
      expect(res.errors).toBeUndefined();
      expect((res as any).extensions.warnings).toEqual([
        expect.objectContaining({ code: 'LEDGER_PER_REPLICA', provider: 'GAMEBALL', path: ['batches'] }),
      ]);
    } finally {
      await h.close();
      await redis.close();
    }
  });
});

describe('PostgreSQL stopped mid-run', () => {
  it('answers queries and takes writes meanwhile, then stores every audit entry once, in order', async () => {
    const own = await startPostgres();
    const h = await startHarness({ env: { DATABASE_URL: own.database(), LEDGER_DEADLINE_MS: '500' } });
    try {
      await h.gql(SUBMIT, { n: 'o-before' });
      own.cluster.stop();
      const running = toGlobalId('FACT_CHECK', h.sims.factCheck.control.idsByState().running![0]!);
      const read = await h.gql(
        `{ node(id: "${running}") { id } batches(first: 5) { edges { node { id provider } } } }`,
      );
      // The node is read from Check; the list keeps the listing providers' rows and names the one it cannot list.
      expect(read.data.node.id).toBe(running);
      expect(read.data.batches.edges).toHaveLength(5);
      expect(read.data.batches.edges.every((e: any) => e.node.provider !== 'GAMEBALL')).toBe(true);
      expect(read.errors).toEqual([
        expect.objectContaining({
          path: ['batches'],
          extensions: { code: 'LEDGER_UNAVAILABLE', provider: 'GAMEBALL' },
        }),
      ]);
      const during: string[] = [];
      for (const n of ['o-1', 'o-2', 'o-3']) {
        const r = await h.gql(SUBMIT, { n });
        expect(r.errors).toBeUndefined();
        during.push(r.data.submitGameballBatch.batch.id);
      }
      await until(() => h.running.ledger!.state().state === 'failing', 10_000, 'a failed flush');
      own.cluster.start();
      await until(() => h.running.ledger!.state().state === 'ok', 40_000, 'the queue written');
      const log = await h.gql(LOG);
      expect(log.errors).toBeUndefined();
      const entries = log.data.auditLog.edges.map((e: any) => e.node).reverse();
      // Every entry once, in the order the writes ran.
      expect(entries.map((e: any) => e.batchId)).toEqual([entries[0].batchId, ...during]);
      expect(new Set(entries.map((e: any) => e.id)).size).toBe(entries.length);
      expect(entries.every((e: any) => e.outcome === 'CREATED')).toBe(true);
    } finally {
      await h.close();
      own.close();
    }
  }, 90_000);

  it('with LEDGER_AUDIT_REQUIRED, refuses writes while their entries cannot be stored, and sends nothing', async () => {
    const own = await startPostgres();
    const h = await startHarness({
      env: { DATABASE_URL: own.database(), LEDGER_DEADLINE_MS: '500', LEDGER_AUDIT_REQUIRED: 'true' },
    });
    try {
      expect((await h.gql(SUBMIT, { n: 'o-ok' })).errors).toBeUndefined();
      own.cluster.stop();
      const created = h.sims.gameball.control.created().length;
      const refused = await h.gql(SUBMIT, { n: 'o-refused' });
      expect(refused.errors?.[0]?.extensions?.code).toBe('LEDGER_UNAVAILABLE');
      expect(h.sims.gameball.control.created()).toHaveLength(created);
      // Reads go on (from the providers).
      const running = toGlobalId('FACT_CHECK', h.sims.factCheck.control.idsByState().running![0]!);
      expect((await h.gql(`{ node(id: "${running}") { id } }`)).errors).toBeUndefined();
    } finally {
      await h.close();
      own.close();
    }
  }, 60_000);
});

describe('npm run ledger:copy', () => {
  it('copies an embedded ledger of 10,000 batches and their audit entries, and a second run adds nothing', async () => {
    const sqlite = await openSqliteLedger(freshDataDir());
    const ledger = new Ledger(sqlite, { cacheMaxEntries: 100, log: pino({ level: 'silent' }) });
    const at = Date.parse('2026-11-01T00:00:00Z');
    for (let i = 0; i < 10_000; i++) {
      const batch = {
        provider: 'FACT_CHECK',
        providerBatchId: `batch_${i}`,
        status: 'SUCCEEDED',
        providerStatus: 'completed',
        isTerminal: true,
        progress: { total: 10, processed: 10, succeeded: 10, failed: 0, pending: 0, percent: 100 },
        createdAt: new Date(at + i * 1000),
        startedAt: null,
        completedAt: null,
        errorMessage: null,
        observedAt: new Date(at + i * 1000 + 500),
      } as Batch;
      ledger.observe(batch, { scope: 'default', viewer: `tenant-${i % 3}`, lacks: [] });
      if (i % 10 === 0)
        ledger.audit({
          at: new Date(at + i * 1000),
          mutation: 'submitFactCheckBatch',
          provider: 'FACT_CHECK',
          providerBatchId: `batch_${i}`,
          subject: 'alice',
          tenant: `tenant-${i % 3}`,
          client: 'sub:alice',
          requestId: `req-${i}`,
          idempotencyKey: null,
          outcome: 'CREATED',
          code: null,
          message: null,
        });
    }
    await ledger.flushNow(true);
    const target = await openPostgresLedger({ url: pg.database(), poolMax: 4, idleMs: 10_000, deadlineMs: 30_000 });
    try {
      const first = await copyLedger(sqlite, target);
      // Each batch's timeline came with it: one status event (its first reading).
      expect(first).toEqual({ batches: 10_000, events: 10_000, sightings: 10_000, audits: 1_000, skipped: 0 });
      const second = await copyLedger(sqlite, target);
      expect(second).toEqual({ batches: 0, events: 0, sightings: 0, audits: 0, skipped: 21_000 });
      const count = async (table: 'ledger_batches' | 'ledger_audit') =>
        Number(
          (
            await target.db
              .selectFrom(table)
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      expect(await count('ledger_batches')).toBe(10_000);
      expect(await count('ledger_audit')).toBe(1_000);
      // The copied ledger answers like the original: the batches in their order, the entries with their origin.
      const firstRow = await target.db
        .selectFrom('ledger_batches')
        .select(['provider_batch_id', 'is_terminal'])
        .orderBy('seq')
        .executeTakeFirstOrThrow();
      expect(firstRow).toEqual({ provider_batch_id: 'batch_0', is_terminal: 1 });
      // A copied timeline answers under the target's row numbers.
      const copied = new Ledger(target, { cacheMaxEntries: 100, log: pino({ level: 'silent' }) });
      const timeline = await copied.timeline(
        { provider: 'FACT_CHECK', scope: 'default', providerBatchId: 'batch_7' },
        null,
        10,
      );
      expect(timeline.map((e) => [e.kind, e.status, e.counts?.processed])).toEqual([['STATUS', 'SUCCEEDED', 10]]);
    } finally {
      await ledger.close();
      await target.close();
    }
  }, 120_000);
});
