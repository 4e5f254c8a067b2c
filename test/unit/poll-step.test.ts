import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGameballAdapter } from '../../src/providers/gameball/adapter.js';
import { createGameballHttpClient } from '../../src/providers/gameball/client.js';
import { initialMemory, pollStep } from '../../src/live/poll-step.js';
import type { WatchTarget } from '../../src/live/watch-target.js';
import { clientOptions } from '../helpers/config.js';
import {
  createManualClock,
  startSimulators,
  type ManualClock,
  type Simulators,
} from '../../src/dev/simulators/index.js';

/** The poll step is a plain function of one batch and its last state, here against the real Gameball simulator. */
let sims: Simulators;
let clock: ManualClock;
const signal = new AbortController().signal;
beforeAll(async () => {
  clock = createManualClock(Date.parse('2026-11-01T12:00:00Z'));
  sims = await startSimulators({ clock, seed: 5, batchCount: 30 });
});
afterAll(() => sims.close());
beforeEach(() => sims.gameball.control.clearFaults());

/** The configuration's client defaults. */
const shared = clientOptions();
const provider = () =>
  createGameballAdapter(
    createGameballHttpClient({
      ...shared,
      rateLimit: [],
      baseUrl: sims.gameball.url,
      apiKey: sims.credentials.gameball.apiKey,
      secretKey: sims.credentials.gameball.secretKey,
      policy: { ...shared.policy, retries: 0 },
    }),
  );
const target = (providerBatchId: string): WatchTarget => ({
  provider: 'GAMEBALL',
  providerBatchId,
  includePendingDetails: false,
  scope: 'default',
});

describe('pollStep', () => {
  it('publishes every reading, `unchanged` (idle backoff) while only its observation is new', async () => {
    const id = sims.gameball.control.idsByState().queued?.[0] ?? sims.gameball.control.idsByState().running![0]!;
    const memory = initialMemory(undefined);
    const first = await pollStep(provider(), target(id), memory, undefined, clock.now(), signal);
    expect(first.events.map((e) => e.kind)).toEqual(['state']);
    expect(first.done).toBe(false);
    const again = await pollStep(provider(), target(id), memory, memory.batch, clock.now(), signal);
    expect(again).toMatchObject({ unchanged: true, done: false });
    // Published all the same: a subscriber selecting `observedAt` sees each reading (changed-results.ts).
    expect(again.events.map((e) => e.kind)).toEqual(['state']);
    expect(memory.unchanged).toBe(1);
  });

  it('ends the watch with the terminal state, then `end`', async () => {
    const id = sims.gameball.control.idsByState().done![0]!;
    const out = await pollStep(provider(), target(id), initialMemory(undefined), undefined, clock.now(), signal);
    expect(out.events.map((e) => e.kind)).toEqual(['state', 'end']);
    expect(out.done).toBe(true);
  });

  it('marks the last state stale on an upstream failure and counts the failure for back-off', async () => {
    const id = sims.gameball.control.idsByState().running![0]!;
    const memory = initialMemory(undefined);
    await pollStep(provider(), target(id), memory, undefined, clock.now(), signal);
    const latest = memory.batch;
    sims.gameball.control.setFault({ kind: 'http5xx', status: 503 });
    const out = await pollStep(provider(), target(id), memory, latest, clock.now(), signal);
    expect(out.done).toBe(false);
    expect(out.events).toHaveLength(1);
    expect(out.events[0]).toMatchObject({ kind: 'state', batch: { stale: true, providerBatchId: id } });
    expect(memory.failures).toBe(1);
  });

  it('ends the watch with NOT_FOUND naming the provider for an id the provider does not know', async () => {
    const out = await pollStep(provider(), target('999999999'), initialMemory(undefined), undefined, 0, signal);
    expect(out.done).toBe(true);
    expect(out.events).toEqual([expect.objectContaining({ kind: 'error', code: 'NOT_FOUND', provider: 'GAMEBALL' })]);
  });

  it('reports PROVIDER_NOT_CONFIGURED when the provider is gone', async () => {
    const out = await pollStep(undefined, target('1'), initialMemory(undefined), undefined, 0, signal);
    expect(out.events).toEqual([expect.objectContaining({ kind: 'error', code: 'PROVIDER_NOT_CONFIGURED' })]);
  });
});
