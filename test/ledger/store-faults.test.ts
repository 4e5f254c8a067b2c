/**
 * A ledger that cannot be written never fails a read or a write (issue 29, docs/ledger.md "When the store
 * fails"): a DATA_DIR that cannot be created leaves the gateway without a store, reported in /ready; a store
 * locked by another process fails its flushes, which are counted, reported, and written once it is free again.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { freshDataDir } from '../helpers/data-dir.js';
import { until } from '../helpers/until.js';
import { startHarness } from '../helpers/harness.js';

let h: Awaited<ReturnType<typeof startHarness>> | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const SUBMIT = `mutation($n: String!) { submitGameballBatch(input: { orders: [{ customerId: "c", orderId: $n,
  orderDate: "2026-11-01T10:00:00Z", totalPaid: 1 }] }) { batch { id status } userErrors { code } } }`;

async function ready(): Promise<any> {
  return (await fetch(h!.url.replace('/graphql', '/ready'))).json();
}

describe('a ledger that cannot be written', () => {
  it('a DATA_DIR that cannot be created: reads and writes work, /ready says why, the log warns once', async () => {
    // A folder inside a regular file cannot be made, whoever runs the test (root included).
    const file = join(freshDataDir(), 'not-a-folder');
    writeFileSync(file, '');
    h = await startHarness({ env: { DATA_DIR: join(file, 'data'), LOG_LEVEL: 'warn' } });
    const body = await ready();
    expect(body.ready).toBe(true);
    expect(body.ledger).toMatchObject({ state: 'unavailable', lastError: expect.stringContaining('DATA_DIR') });
    const wrote = await h.gql(SUBMIT, { n: 'o-1' });
    expect(wrote.errors).toBeUndefined();
    expect(wrote.data.submitGameballBatch.batch.status).toBe('QUEUED');
    const read = await h.gql(`{ node(id: "${wrote.data.submitGameballBatch.batch.id}") { id } }`);
    expect(read.errors).toBeUndefined();
    const log = await h.gql('{ auditLog { edges { node { id } } } }');
    expect(log.errors?.[0]?.extensions?.code).toBe('LEDGER_UNAVAILABLE');
    // Without a store Gameball cannot be listed: excluded and said, as with LEDGER=off, the others listed.
    const list = await h.gql(
      `{ providers { provider listed }
        batches(first: 5) { edges { node { provider } } excludedProviders { provider reason } } }`,
    );
    expect(list.errors).toBeUndefined();
    expect(list.data.batches.excludedProviders).toEqual([{ provider: 'GAMEBALL', reason: 'CANNOT_LIST' }]);
    expect(list.data.batches.edges).toHaveLength(5);
    expect(list.data.providers.find((p: any) => p.provider === 'GAMEBALL').listed).toBe(false);
    expect(h.logs.filter((l) => l.includes('ledger: unavailable'))).toHaveLength(1);
  });

  it('a store locked by another process: the write still succeeds, the failure is counted, then written', async () => {
    const dataDir = freshDataDir();
    h = await startHarness({ env: { DATA_DIR: dataDir, LOG_LEVEL: 'warn' } });
    // Another connection holds the write lock (a backup tool, an operator's sqlite3 shell).
    const other = new DatabaseSync(join(dataDir, 'batchql.sqlite'));
    other.exec('PRAGMA busy_timeout = 0; BEGIN IMMEDIATE');
    try {
      const wrote = await h.gql(SUBMIT, { n: 'o-locked' });
      expect(wrote.errors).toBeUndefined();
      const id = wrote.data.submitGameballBatch.batch.id as string;
      await until(async () => (await ready()).ledger.state === 'failing', 5_000, 'a failed flush');
      const during = await ready();
      expect(during.ready).toBe(true);
      expect(during.ledger.writeFailures).toBeGreaterThan(0);
      expect(during.ledger.pending).toBeGreaterThan(0);
      // Reads go on meanwhile.
      expect((await h.gql(`{ node(id: "${id}") { id } }`)).errors).toBeUndefined();
      expect(h.logs.filter((l) => l.includes('ledger: a write failed')).length).toBe(1);
      other.exec('ROLLBACK');
      // The rows waiting since are written on the next attempt: the batch is listed, its audit entry kept.
      // The next attempt comes after the backoff (1 s, doubling while it fails, at most 30 s).
      await until(async () => (await ready()).ledger.state === 'ok', 35_000, 'a flush after the lock');
      const listed = await h.gql('{ batches(first: 10, filter: { providers: [GAMEBALL] }) { edges { node { id } } } }');
      expect(listed.data.batches.edges.map((e: any) => e.node.id)).toContain(id);
      const log = await h.gql('{ auditLog { edges { node { batchId outcome } } } }');
      expect(log.data.auditLog.edges.map((e: any) => e.node)).toContainEqual({ batchId: id, outcome: 'CREATED' });
      const metrics = await (await fetch(h.url.replace('/graphql', '/metrics'))).text();
      expect(metrics).toMatch(/batchql_ledger_failures_total\{op="write"\} [1-9]/);
    } finally {
      other.close();
    }
  }, 60_000);
});
