import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { sseClient, subscribe, wsClient } from '../helpers/live-clients.js';
import { JWT_TEST_ENV, bearer } from '../helpers/auth.js';
import { until } from '../helpers/until.js';

/** A token's lifetime holds on open streams: at expiry they end with UNAUTHENTICATED; a fresh token reconnects. */
let h: Harness;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const WATCH = 'subscription($id: ID!) { batch(id: $id) { providerBatchId } }';

/** A token that expires `seconds` from now (JWT `exp` has one-second resolution). */
const expiringIn = (seconds: number) =>
  bearer({ subject: 'short-lived', expires: Math.floor(Date.now() / 1000) + seconds });

beforeAll(async () => {
  h = await startHarness({ seed: 12, batchCount: 60, env: JWT_TEST_ENV });
});
afterAll(() => h?.close());

describe('token lifetime on open streams', () => {
  it(
    'ends WebSocket subscriptions with UNAUTHENTICATED and closes the socket with 4403; ' + 'a fresh token reconnects',
    async () => {
      const ids = h.sims.factCheck.control
        .idsByState()
        .running!.slice(0, 2)
        .map((id) => toGlobalId('FACT_CHECK', id));
      // Not lazy: a lazy client would close the socket itself (1000) once its subscriptions ended.
      const client = createClient({
        url: h.url.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        lazy: false,
        onNonLazyError: () => {},
        retryAttempts: 0,
        connectionParams: { authorization: await expiringIn(2) },
      });
      let closeCode: number | undefined;
      client.on('closed', (event) => (closeCode = (event as { code?: number }).code));
      const subs = ids.map((id) => subscribe(client, WATCH, { id }));
      await Promise.all(subs.map((s) => s.waitForEvents(1)));
      expect(h.hub.stats().subscribers).toBe(2);
      await until(() => closeCode !== undefined, 5_000, 'socket closed');
      expect(closeCode).toBe(4403);
      for (const s of subs) {
        await s.ended;
        expect(JSON.stringify(s.errors)).toContain('UNAUTHENTICATED');
      }
      // The watches were released: nothing polls for the expired client any more.
      await until(() => h.hub.stats().subscribers === 0, 2_000, 'watches released');
      await client.dispose();

      const fresh = wsClient(h.url, { authorization: await expiringIn(600) });
      const again = subscribe(fresh, WATCH, { id: ids[0] });
      await again.waitForEvents(1);
      expect(again.errors).toEqual([]);
      again.close();
      await fresh.dispose();
    },
  );

  it('ends an SSE stream at expiry with an UNAUTHENTICATED error', async () => {
    const id = toGlobalId('FACT_CHECK', h.sims.factCheck.control.idsByState().running![3]!);
    const sub = subscribe(sseClient(h.url, { authorization: await expiringIn(2) }), WATCH, { id });
    await sub.waitForEvents(1);
    await Promise.race([sub.ended, sleep(5_000)]);
    expect(sub.isEnded()).toBe(true);
    expect(JSON.stringify(sub.errors)).toContain('UNAUTHENTICATED');
    await until(() => h.hub.stats().subscribers === 0, 2_000, 'watch released');

    const again = subscribe(sseClient(h.url, { authorization: await expiringIn(600) }), WATCH, { id });
    await again.waitForEvents(1);
    expect(again.errors).toEqual([]);
    again.close();
  });
});
