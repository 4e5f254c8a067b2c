import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { sseClient, subscribe } from '../helpers/live-clients.js';
import { until } from '../helpers/until.js';

/**
 * `PollHub.nudge`: a write that changed a batch makes its poll loops read it at once, a bulk refresh
 * (Check) and a per-batch loop (Gameball) alike. Polling every 30 s, so that only the nudge explains a
 * change seen within seconds; the batches are stopped behind the gateway's back, at the simulators.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    seed: 29,
    batchCount: 40,
    env: {
      LIVE_POLL_RUNNING_MS: '30000',
      LIVE_POLL_IDLE_MS: '30000',
      LIVE_POLL_IDLE_MAX_MS: '30000',
      LIVE_POLL_PENDING_MS: '30000',
    },
  });
});
afterAll(() => h?.close());

const WATCH = `subscription($id: ID!) { batch(id: $id) { status } }`;

describe('a nudge', () => {
  it('makes a Check bulk refresh and a Gameball poll loop read their batch now', async () => {
    const check = h.sims.factCheck.control.idsByState().running![0]!;
    const gameball = h.sims.gameball.control.idsByState().running![0]!;
    const client = sseClient(h.url);
    const subs = [
      subscribe(client, WATCH, { id: toGlobalId('FACT_CHECK', check) }),
      subscribe(client, WATCH, { id: toGlobalId('GAMEBALL', gameball) }),
    ];
    await Promise.all(subs.map((s) => s.waitForEvents(1)));
    expect(subs.map((s) => s.events[0].batch.status)).toEqual(['RUNNING', 'RUNNING']);
    // Stopped at the providers themselves: the gateway learns of it only by reading them.
    await fetch(`${h.sims.factCheck.url}/v1/batch/${check}/cancel`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.sims.credentials.factCheck.apiKey}` },
    });
    const { apiKey, secretKey } = h.sims.credentials.gameball;
    await fetch(`${h.sims.gameball.url}/api/v4.0/integrations/batches/${gameball}/stop`, {
      method: 'POST',
      headers: { apikey: apiKey, secretkey: secretKey },
    });
    expect(h.hub.nudge('FACT_CHECK', check)).toBeGreaterThan(0);
    expect(h.hub.nudge('GAMEBALL', gameball)).toBe(1);
    await until(
      () => subs.every((s) => s.events.at(-1)?.batch.status === 'CANCELLED'),
      5_000,
      'both subscribers to see CANCELLED after the nudge',
    );
    for (const s of subs) s.close();
  });

  it('wakes nothing for a batch nobody watches', () => {
    expect(h.hub.nudge('GAMEBALL', '123')).toBe(0);
  });
});
