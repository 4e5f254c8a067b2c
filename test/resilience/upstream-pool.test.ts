import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import type { ProviderName } from '../../src/domain/batch.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { until } from '../helpers/until.js';

// Pool settings per provider (issue 13): `<NAME>_UPSTREAM_CONNECTIONS` overrides `UPSTREAM_CONNECTIONS`
// for that provider's undici pool, and `UPSTREAM_KEEP_ALIVE_MS` sets how long an idle connection stays
// open. Counted where it shows: the sockets each simulator sees.
let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    realTime: true,
    env: { UPSTREAM_CONNECTIONS: '6', GAMEBALL_UPSTREAM_CONNECTIONS: '2', UPSTREAM_KEEP_ALIVE_MS: '300' },
  });
});
afterAll(() => h.close());
beforeEach(() => h.resetCounters());

/** The global ids of the first `n` batches a simulator holds, running or finished. */
function ids(sim: Harness['sims']['gameball'], provider: ProviderName, n: number): string[] {
  const byState = sim.control.idsByState();
  const all = [...(byState.running ?? []), ...(byState.done ?? []), ...(byState.partial ?? [])];
  expect(all.length).toBeGreaterThanOrEqual(n);
  return all.slice(0, n).map((id) => toGlobalId(provider, id));
}

/** Reads `globalIds` in one `nodes` query, each upstream answer slowed down so that the calls overlap. */
async function readSlowly(sim: Harness['sims']['gameball'], globalIds: string[]): Promise<void> {
  sim.control.setFault({ kind: 'slow', delayMs: 150 });
  const res = await h.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: globalIds });
  sim.control.clearFaults();
  expect(res.errors).toBeUndefined();
  expect(res.data.nodes.map((n: { id: string }) => n.id)).toEqual(globalIds);
}

describe('upstream pools per provider', () => {
  it('caps a provider at its own <NAME>_UPSTREAM_CONNECTIONS', async () => {
    await until(() => h.sims.gameball.control.openConnections() === 0, 3_000, 'idle sockets closed');
    h.resetCounters();
    await readSlowly(h.sims.gameball, ids(h.sims.gameball, 'GAMEBALL', 8));
    // Eight calls in flight at once (UPSTREAM_PER_REQUEST_CONCURRENCY), on at most two sockets.
    expect(h.sims.gameball.control.peakConnections()).toBe(2);
  });

  it('gives the other providers UPSTREAM_CONNECTIONS', async () => {
    await until(() => h.sims.factCheck.control.openConnections() === 0, 3_000, 'idle sockets closed');
    h.resetCounters();
    await readSlowly(h.sims.factCheck, ids(h.sims.factCheck, 'FACT_CHECK', 8));
    expect(h.sims.factCheck.control.peakConnections()).toBe(6);
  });

  it('closes idle upstream connections after UPSTREAM_KEEP_ALIVE_MS', async () => {
    await readSlowly(h.sims.factCheck, ids(h.sims.factCheck, 'FACT_CHECK', 2));
    expect(h.sims.factCheck.control.openConnections()).toBeGreaterThan(0);
    // 300 ms of keep-alive: well before undici's 4 s default, every idle socket is gone.
    await until(() => h.sims.factCheck.control.openConnections() === 0, 2_000, 'idle sockets closed after 300 ms');
  });
});
