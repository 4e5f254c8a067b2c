import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { startLocalRedis } from '../helpers/redis.js';

/** Issue 28, part 5: logs say what happened, at the level it deserves. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ seed: 13, batchCount: 40, env: { LOG_LEVEL: 'info' } });
});
afterAll(() => h?.close());

type Line = Record<string, unknown> & { level: number; msg: string };
const linesSince = (from: number): Line[] => h.logs.slice(from).map((l) => JSON.parse(l) as Line);

describe('an expected CANNOT_CANCEL', () => {
  it('is logged as the user error it is, never as an upstream failure', async () => {
    const from = h.logs.length;
    const id = h.sims.factCheck.control.idsByState().done![0]!;
    const r = await h.gql(`mutation($id: ID!) { cancelBatch(id: $id) { batch { id } userErrors { code } } }`, {
      id: toGlobalId('FACT_CHECK', id),
    });
    expect(r.data.cancelBatch.userErrors).toEqual([{ code: 'CANNOT_CANCEL' }]);
    const lines = linesSince(from);
    expect(lines.filter((l) => l.msg === 'upstream call failed')).toEqual([]);
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
    expect(JSON.stringify(lines)).not.toContain('PROVIDER_BAD_RESPONSE');
    expect(lines.filter((l) => l.msg !== 'graphql operation')).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'write refused: user error',
        mutation: 'cancelBatch',
        userErrorCodes: ['CANNOT_CANCEL'],
        requestId: expect.any(String),
      }),
    ]);
  });
});

describe('a malformed JSON body', () => {
  it('gets its access line, with its request id, at info, and nothing else', async () => {
    const from = h.logs.length;
    const res = await fetch(h.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: '{"query": ',
    });
    expect(res.status).toBe(400);
    const requestId = res.headers.get('x-request-id');
    expect(requestId).toBeTruthy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const lines = linesSince(from);
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
    expect(lines).toEqual([expect.objectContaining({ level: 30, msg: 'graphql operation', requestId })]);
  });
});

describe('a clean stop with Redis', () => {
  it('warns about no outage, even when Redis stops with the gateway', async () => {
    const redis = await startLocalRedis();
    const withRedis = await startHarness({
      seed: 31,
      batchCount: 10,
      env: {
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: `batchql-honest-${process.pid}:`,
        FACTCHECK_RATE_LIMIT: '600/60s',
      },
    });
    try {
      // Redis in use: a query through Check's shared budget.
      const [id, slowId] = withRedis.sims.factCheck.control.idsByState().running! as [string, string];
      await withRedis.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: toGlobalId('FACT_CHECK', id) });
      // A query still draining while Redis stops too (a compose file or a pod stopping both).
      withRedis.sims.factCheck.control.setFault({
        kind: 'slow',
        delayMs: 600,
        times: 1,
        pathPrefix: `/v1/batch/${slowId}`,
      });
      const slow = withRedis.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: toGlobalId('FACT_CHECK', slowId) });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const stopped = withRedis.running.shutdown({ timeoutMs: 3000 });
      await redis.stop();
      await stopped;
      await slow;
      const lines = withRedis.logs.map((l) => JSON.parse(l) as Line);
      expect(lines.filter((l) => /unreachable|Redis operation failed/.test(l.msg))).toEqual([]);
      // Warned at start, not at the stop: the demo's AUTH_MODE=none, and one Redis replica's own ledger.
      const atStart = (msg: string) =>
        msg.startsWith('AUTH_MODE=none') || msg.includes('each replica keeps its own ledger');
      expect(lines.filter((l) => l.level >= 40 && !atStart(l.msg))).toEqual([]);
    } finally {
      await withRedis.close();
      await redis.stop();
    }
  }, 30_000);
});
