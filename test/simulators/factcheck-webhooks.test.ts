import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verify } from '../../src/providers/factcheck/webhook-signature.js';
import { createFactCheckSimulator, createManualClock } from '../../src/dev/simulators/index.js';

/** The Check simulator's webhooks: what it sends, when, and how it signs (docs/providers.md). */
const START = Date.parse('2026-11-01T12:00:00Z');
const SECRET = 'whsec_sim';
const clock = createManualClock(START);
let sim: Awaited<ReturnType<typeof createFactCheckSimulator>>;
let receiver: Server;
const received: { body: string; signature: string | undefined }[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ body: Buffer.concat(chunks).toString(), signature: req.headers['x-check-signature'] as string });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  // A long timer: only the explicit checks below send.
  sim = await createFactCheckSimulator({ clock, seed: 5, batchCount: 120, webhookCheckMs: 3_600_000 });
  sim.webhooks.configure({ url, secret: SECRET });
});
afterAll(async () => {
  await sim.close();
  await new Promise((r) => receiver.close(r));
});

const finishOf = (id: string) => sim.control.changedAt(id, Number.MAX_SAFE_INTEGER)!;

describe('Check simulator webhooks', () => {
  it('sends batch.completed once for a batch finishing in its clock, signed, with the get-batch object', async () => {
    expect(await sim.webhooks.check()).toEqual([]);
    const id = [...sim.control.idsByState().running!].sort((a, b) => finishOf(a) - finishOf(b))[0]!;
    clock.set(finishOf(id) + 10);
    const sent = (await sim.webhooks.check()).filter((d) => d.batchId === id);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.status).toBe(200);
    const wire = received.find((r) => r.body === sent[0]!.body)!;
    expect(verify(SECRET, wire.signature, Buffer.from(wire.body), clock.now())).toMatchObject({ ok: true });
    const event = JSON.parse(wire.body);
    expect(event).toMatchObject({ id: expect.stringMatching(/^evt_/), type: 'batch.completed' });
    expect(event.createdAt).toBe(new Date(clock.now()).toISOString());
    const res = await fetch(`${sim.url}/v1/batch/${id}`, {
      headers: { authorization: `Bearer ${sim.credentials.apiKey}` },
    });
    expect(event.data).toEqual(await res.json());
    expect(event.data.status).toBe('completed');
    // Already announced: a later look sends nothing more for it.
    clock.advance(1);
    expect((await sim.webhooks.check()).filter((d) => d.batchId === id)).toEqual([]);
  });

  it('announces every later finish once, and sends by hand over /__sim/webhooks/send (batch.failed)', async () => {
    const before = sim.control.idsByState();
    const pending = new Set([...before.queued!, ...before.running!]);
    clock.advance(3_600_000);
    const sent = await sim.webhooks.check();
    expect(sent.length).toBeGreaterThan(0);
    for (const d of sent) expect(pending.has(d.batchId)).toBe(true);
    expect(new Set(sent.map((d) => d.batchId)).size).toBe(sent.length);
    const failedId = sim.control.idsByState().failed![0]!;

    const manual = await fetch(`${sim.url}/__sim/webhooks/send`, {
      method: 'POST',
      body: JSON.stringify({ batchId: failedId, id: 'evt_manual1' }),
    });
    expect(manual.status).toBe(200);
    const delivery = (await manual.json()) as { eventId: string; type: string; status: number };
    expect(delivery).toMatchObject({ eventId: 'evt_manual1', type: 'batch.failed', status: 200 });
    const listed = (await (await fetch(`${sim.url}/__sim/webhooks`)).json()) as { deliveries: unknown[] };
    expect(listed.deliveries).toHaveLength(sim.webhooks.deliveries().length);
    // Control routes are not API requests.
    expect(sim.control.counters()['GET /v1/batch/:id']).toBe(1);
  });
});
