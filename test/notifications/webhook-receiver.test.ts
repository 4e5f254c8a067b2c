/**
 * The dev webhook receiver (src/dev/webhook-receiver.ts) over real loopback HTTP (undici): it verifies Standard
 * Webhooks signatures with `standardwebhooks`, records what came, answers as scripted, and waits with clear errors.
 */
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import {
  startWebhookReceiver,
  type IncomingDelivery,
  type ReceivedDelivery,
  type ScriptedResponse,
  type WebhookReceiver,
} from '../../src/dev/webhook-receiver.js';
import { generateSecret, newMessageId, signatureHeaders } from '../../src/notifications/signing.js';

const PAYLOAD = {
  type: 'batch.succeeded',
  timestamp: '2026-12-08T10:00:00.000Z',
  data: { batch: { __typename: 'FactCheckBatch', providerBatchId: 'fc_123', status: 'DONE' } },
};

const open: WebhookReceiver[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
});

async function receiver(options: Parameters<typeof startWebhookReceiver>[0]) {
  const r = await startWebhookReceiver(options);
  open.push(r);
  return r;
}

/** POSTs `payload` signed with `secrets` (as message `id`, sent at `timestamp`); the status and body answered. */
async function send(
  url: string,
  secrets: readonly string[],
  { id = newMessageId(), timestamp = new Date(), payload = PAYLOAD as unknown, body = JSON.stringify(payload) } = {},
) {
  const headers = signatureHeaders({ id, timestamp, body: JSON.stringify(payload), secrets });
  const res = await request(url, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body,
  });
  return { status: res.statusCode, text: await res.body.text(), id };
}

describe('webhook receiver', () => {
  it('records a verified delivery, with which secret verified it, and answers 204', async () => {
    const secret = generateSecret();
    const lines: string[] = [];
    const r = await receiver({ secrets: [secret], log: (line) => lines.push(line) });
    expect(r.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/hooks$/);
    const { status, id } = await send(r.url, [secret]);
    expect(status).toBe(204);
    expect(r.deliveries).toHaveLength(1);
    const d = r.deliveries[0]!;
    expect(d).toMatchObject({ id, verified: true, verifiedWith: [secret], verifyError: null, status: 204 });
    expect(d).toMatchObject({ attempt: 1, body: PAYLOAD, raw: JSON.stringify(PAYLOAD) });
    expect(d.signatures).toHaveLength(1);
    expect(d.signatures[0]).toMatch(/^v1,/);
    expect(d.timestamp).toMatch(/^\d+$/);
    expect(d.headers['content-type']).toBe('application/json');
    expect(lines).toEqual([`webhook  batch.succeeded  ${id}  FactCheckBatch fc_123  verified`]);
  });

  it('names each secret that verifies a message signed during a rotation', async () => {
    const [fresh, old, other] = [generateSecret(), generateSecret(), generateSecret()];
    const r = await receiver({ secrets: [fresh, old, other] });
    await send(r.url, [fresh, old]);
    await send(r.url, [old]);
    expect(r.deliveries.map((d) => [d.signatures.length, d.verifiedWith])).toEqual([
      [2, [fresh, old]],
      [1, [old]],
    ]);
  });

  it('reads its secrets on every request when given a function', async () => {
    const [first, second] = [generateSecret(), generateSecret()];
    let secrets = [first];
    const r = await receiver({ secrets: () => secrets });
    expect((await send(r.url, [second])).status).toBe(400);
    secrets = [second];
    expect((await send(r.url, [second])).status).toBe(204);
  });

  it('answers 400 to a bad signature, a changed body or a stale timestamp, and records them unverified', async () => {
    const secret = generateSecret();
    const lines: string[] = [];
    const r = await receiver({ secrets: [secret], log: (line) => lines.push(line) });
    const wrong = await send(r.url, [generateSecret()]);
    const changed = await send(r.url, [secret], { body: JSON.stringify({ ...PAYLOAD, type: 'batch.failed' }) });
    const stale = await send(r.url, [secret], { timestamp: new Date(Date.now() - 10 * 60_000) });
    expect([wrong.status, changed.status, stale.status]).toEqual([400, 400, 400]);
    expect(wrong.text).toMatch(/No matching signature/);
    expect(r.deliveries.map((d) => [d.verified, d.verifiedWith, d.verifyError, d.status])).toEqual([
      [false, [], 'No matching signature found', 400],
      [false, [], 'No matching signature found', 400],
      [false, [], 'Message timestamp too old', 400],
    ]);
    expect(lines[0]).toBe(
      `webhook  batch.succeeded  ${wrong.id}  FactCheckBatch fc_123  NOT verified (No matching signature found)  → 400`,
    );
  });

  it('answers 400 to a request without the signature headers', async () => {
    const r = await receiver({ secrets: [generateSecret()] });
    const res = await request(r.url, { method: 'POST', body: '{"type":"x"}' });
    expect(res.statusCode).toBe(400);
    await res.body.dump();
    expect(r.deliveries[0]).toMatchObject({ id: '', verified: false, verifyError: 'Missing required headers' });
  });

  it('scripts statuses per attempt with respond (500, 500, 500, then 200), headers and bodies included', async () => {
    const secret = generateSecret();
    // Each message fails its first three attempts.
    const flaky = (d: IncomingDelivery): ScriptedResponse =>
      d.attempt <= 3
        ? { status: 500, headers: { 'retry-after': '1' }, body: `attempt ${d.attempt} failed` }
        : { status: 200, body: 'ok' };
    const r = await receiver({ secrets: [secret], respond: flaky });
    const id = newMessageId();
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await send(r.url, [secret], { id }));
    expect(answers.map((a) => [a.status, a.text])).toEqual([
      [500, 'attempt 1 failed'],
      [500, 'attempt 2 failed'],
      [500, 'attempt 3 failed'],
      [200, 'ok'],
    ]);
    const outcome = (d: ReceivedDelivery) => [d.attempt, d.status, d.verified];
    expect(r.deliveries.map(outcome)).toEqual([
      [1, 500, true],
      [2, 500, true],
      [3, 500, true],
      [4, 200, true],
    ]);
    // Another message starts again at attempt 1.
    expect((await send(r.url, [secret])).status).toBe(500);
  });

  it('answers an unverified delivery as respond says, and 500 when respond throws', async () => {
    let calls = 0;
    const r = await receiver({
      secrets: [generateSecret()],
      respond: () => {
        if (++calls === 2) throw new Error('script broke');
        return { status: 202 };
      },
    });
    expect((await send(r.url, [generateSecret()])).status).toBe(202);
    expect((await send(r.url, [generateSecret()])).status).toBe(500);
    expect(r.deliveries.map((d) => [d.verified, d.status])).toEqual([
      [false, 202],
      [false, 500],
    ]);
  });

  it('delays its answer by delayMs, and records the delivery before answering', async () => {
    const secret = generateSecret();
    const r = await receiver({ secrets: [secret], respond: async () => ({ status: 200, delayMs: 300 }) });
    const started = performance.now();
    const sent = send(r.url, [secret]);
    const recorded = await r.waitForCount(1, 2_000);
    expect(performance.now() - started).toBeLessThan(250);
    expect((await sent).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(recorded[0]!.status).toBe(200);
  });

  it('waits for a delivery by predicate or count, and times out with a clear error', async () => {
    const secret = generateSecret();
    const r = await receiver({ secrets: [secret] });
    const later = r.waitFor((d) => (d.body as typeof PAYLOAD).data.batch.providerBatchId === 'fc_456', 2_000);
    const first = await send(r.url, [secret]);
    const second = await send(r.url, [secret], {
      payload: { ...PAYLOAD, data: { batch: { ...PAYLOAD.data.batch, providerBatchId: 'fc_456' } } },
    });
    expect((await later).id).toBe(second.id);
    // Already recorded: answered at once.
    expect((await r.waitFor((d) => d.id === first.id, 10)).id).toBe(first.id);
    expect((await r.waitForCount(2, 10)).map((d) => d.id)).toEqual([first.id, second.id]);
    await expect(r.waitForCount(3, 100)).rejects.toThrow(
      'webhook receiver: expected 3 deliveries within 100 ms, got 2',
    );
    const came = `2 came: ${first.id} verified → 204, ${second.id} verified → 204`;
    await expect(r.waitFor((d) => d.id === 'msg_never', 100)).rejects.toThrow(
      `webhook receiver: no matching delivery within 100 ms (${came})`,
    );
  });

  it('rejects pending waits when closed', async () => {
    const r = await startWebhookReceiver({ secrets: [generateSecret()] });
    const waiting = r.waitForCount(1, 5_000);
    await r.close();
    await expect(waiting).rejects.toThrow(/closed before the delivery came/);
  });

  it('answers 413 to a body over 1 MiB and 404 to any other route or method, recording neither', async () => {
    const secret = generateSecret();
    const r = await receiver({ secrets: [secret] });
    const big = JSON.stringify({ type: 'big', pad: 'x'.repeat(1024 * 1024) });
    const tooLarge = await request(r.url, {
      method: 'POST',
      headers: signatureHeaders({ id: newMessageId(), timestamp: new Date(), body: big, secrets: [secret] }),
      body: big,
    });
    expect(tooLarge.statusCode).toBe(413);
    await tooLarge.body.dump();
    const base = r.url.replace(/\/hooks$/, '');
    for (const [method, path] of [
      ['GET', '/hooks'],
      ['POST', '/other'],
      ['POST', '/hooks/x'],
    ] as const) {
      const res = await request(`${base}${path}`, { method, ...(method === 'POST' ? { body: '{}' } : {}) });
      expect(res.statusCode, `${method} ${path}`).toBe(404);
      await res.body.dump();
    }
    expect(r.deliveries).toEqual([]);
  });

  it('describes bodies of other shapes in its log', async () => {
    const secret = generateSecret();
    const lines: string[] = [];
    const r = await receiver({ secrets: [secret], log: (line) => lines.push(line) });
    const plain = await send(r.url, [secret], { payload: { hello: 'world' } });
    const text = await send(r.url, [secret], { payload: 'not an object' });
    expect(lines).toEqual([`webhook  (no type)  ${plain.id}  verified`, `webhook  (no type)  ${text.id}  verified`]);
  });
});
