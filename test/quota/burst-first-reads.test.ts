import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUpstreamHttp } from '../../src/upstream/stack.js';
import { clientOptions } from '../helpers/config.js';
import { contextSignal } from '../../src/upstream/call-context.js';
import { createSystemClock, startSimulators, type Simulators } from '../../src/dev/simulators/index.js';

/**
 * A start-up burst: many live streams' first reads (and a few polls) at once, inside a small
 * request budget, through the real HTTP layer to the Check simulator. More calls get budget at
 * once than the bulkhead runs, so some wait in its queue. Each call's budget is taken before its
 * deadline starts; a call that took it a second time inside its deadline (as a queued call once did,
 * when it ran in the context of the call that freed its slot) waits for the next window,
 * times out without ever being sent, and five of those open the breaker for everyone.
 */
let sims: Simulators;
beforeAll(async () => {
  sims = await startSimulators({ clock: createSystemClock(), seed: 7, batchCount: 60, profile: 'longRunning' });
});
afterAll(() => sims?.close());

describe('a burst of first reads inside a small budget', () => {
  it('sends every call once, none times out waiting for budget, and the breaker stays closed', async () => {
    const outcomes = new Map<string, number>();
    const transitions: string[] = [];
    const shared = clientOptions();
    const http = createUpstreamHttp({
      ...shared,
      provider: 'FACT_CHECK',
      baseUrl: sims.factCheck.url,
      headers: { authorization: `Bearer ${sims.credentials.factCheck.apiKey}` },
      // 7 non-interactive calls per 2 s window (share 0.3 kept for interactive calls), 2 at a time.
      rateLimit: [{ limit: 10, windowMs: 2_000 }],
      // Shorter than the window: a call waiting for the next window inside its deadline cannot make it.
      deadlineMs: 1_000,
      connections: 2,
      policy: { ...shared.policy, maxConcurrent: 2, maxQueued: 100, breakerThreshold: 5 },
      observe: (_p, outcome) => outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1),
      onCircuit: (_p, state) => transitions.push(state),
    });
    try {
      sims.factCheck.control.resetCounters();
      const ids = Object.values(sims.factCheck.control.idsByState()).flat();
      const burst = ids.slice(0, 18);
      const results = await Promise.allSettled(
        burst.map((id, i) =>
          http.request(
            'GET',
            `/v1/batch/${encodeURIComponent(id)}`,
            {},
            contextSignal({ traffic: i % 4 === 3 ? 'background' : 'first-read' }),
          ),
        ),
      );
      const failures = results.flatMap((r) =>
        r.status === 'rejected' ? [(r.reason as { code?: string }).code ?? String(r.reason)] : [],
      );
      expect(failures).toEqual([]);
      expect(Object.fromEntries(outcomes)).toEqual({ ok: burst.length });
      // Every call reached Check exactly once: none was held back inside its deadline.
      expect(sims.factCheck.control.totalRequests()).toBe(burst.length);
      expect(transitions).toEqual([]);
      expect(http.circuit?.()).toBe('CLOSED');
      // The interactive client right after the burst is served (its share was kept, the breaker is closed).
      await expect(http.request('GET', `/v1/batch/${encodeURIComponent(ids[20]!)}`)).resolves.toMatchObject({
        id: ids[20],
      });
    } finally {
      await http.close();
    }
  }, 30_000);
});
