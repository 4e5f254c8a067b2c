/**
 * Batch health as notifications (issue 33, docs/notifications.md "Events"): a running batch frozen while it is
 * watched emits `batch.stalled` when its watch judges it STALLED, then `batch.recovered` once it moves again, each
 * once, signed, with the health and its reason in the payload.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { sseClient, subscribe } from '../helpers/live-clients.js';
import { until } from '../helpers/until.js';
import { closeReceivers, NOTIFY_ENV, registerReceiver } from '../helpers/webhooks.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  await closeReceivers();
});

const STALL_MS = 60_000;
const WATCH = `subscription ($id: ID!) { batch(id: $id) { status health progress { processed } } }`;
type Payload = { type: string; data: { health: string; reason: string | null; batch: { id: string; health: string } } };

describe('health notifications', () => {
  it('emits batch.stalled for a frozen batch, then batch.recovered when it moves again', async () => {
    h = await startHarness({
      seed: 32,
      batchCount: 40,
      sims: { profile: 'longRunning' },
      env: {
        HEALTH_STALL_AFTER_MS: String(STALL_MS),
        HEALTH_RECOVER_READINGS: '3',
        LIVE_BULK_REFRESH: 'false',
        ...NOTIFY_ENV,
      },
    });
    const { receiver } = await registerReceiver(h.gql, { events: ['BATCH_STALLED', 'BATCH_SLOW', 'BATCH_RECOVERED'] });
    const raw = h.sims.reach.control.idsByState().running![0]!;
    const id = toGlobalId('REACH', raw);
    const client = sseClient(h.url);
    try {
      const sub = subscribe(client, WATCH, { id });
      await sub.waitForEvents(1);
      h.sims.reach.control.setPace(raw, 0);
      h.clock.advance(STALL_MS);
      const [stalled] = await receiver.waitForCount(1, 5_000);
      const body = stalled!.body as Payload;
      expect(stalled!.verified).toBe(true);
      expect(body.type).toBe('batch.stalled');
      expect(body.data).toMatchObject({ health: 'STALLED', batch: { id, health: 'STALLED' } });
      expect(body.data.reason).toMatch(/no progress/);
      h.sims.reach.control.resetPace();
      const harness = h;
      await until(
        () => {
          harness.clock.advance(2_000);
          return receiver.deliveries.length >= 2;
        },
        5_000,
        'batch.recovered',
      );
      const recovered = receiver.deliveries[1]!.body as Payload;
      expect(recovered.type).toBe('batch.recovered');
      expect(recovered.data).toMatchObject({ health: 'OK', previousHealth: 'STALLED', batch: { id } });
      // Each change once: nothing more comes while it keeps moving.
      h.clock.advance(2_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(receiver.deliveries.map((d) => (d.body as Payload).type)).toEqual(['batch.stalled', 'batch.recovered']);
      sub.close();
    } finally {
      await client.dispose();
    }
  });
});
