import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FaultRule } from '../../src/dev/simulators/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { wsClient } from '../helpers/live-clients.js';

/**
 * A write that reaches the provider and is then answered badly never makes a second batch: the first
 * attempt and two retries with the same key make exactly one upstream batch, whatever the bad answer,
 * and once the first attempt's window has passed a Check retry gets that batch back (it carries the
 * gateway's marker). Reach and Gameball keep no marker: their retries answer OUTCOME_UNKNOWN and write
 * nothing. A definite refusal is recorded or frees the key as its class says; a flood of refused writes
 * from one client takes no key and leaves another client's keys alone; mutations work over graphql-ws.
 */
let h: Harness;
// The window a retry waits for: UPSTREAM_BUDGET_WAIT_MS + UPSTREAM_DEADLINE_MS + 1 s.
const WINDOW_MS = 0 + 1_000 + 1_000;
beforeAll(async () => {
  h = await startHarness({
    seed: 22,
    batchCount: 30,
    // The simulators' clock is the real one: a retry compares Check's createdAt with its own attempt.
    realTime: true,
    env: {
      UPSTREAM_DEADLINE_MS: '1000',
      UPSTREAM_CONNECT_TIMEOUT_MS: '1000',
      UPSTREAM_HEADERS_TIMEOUT_MS: '1000',
      UPSTREAM_BUDGET_WAIT_MS: '0',
      UPSTREAM_MAX_RESPONSE_BYTES: '65536',
      IDEMPOTENCY_KEYS_PER_CLIENT: '8',
      TRUST_PROXY: '1',
      // Bad answers in a row must not open the circuit (that sends nothing: another test).
      UPSTREAM_BREAKER_THRESHOLD: '50',
    },
  });
});
afterAll(() => h?.close());
beforeEach(() => h.resetCounters());

let client = 0;
/** A client of its own (an address behind the trusted proxy), so each test has its own keys and cap. */
const newClient = () => ({ 'x-forwarded-for': `198.51.100.${++client}` });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const SUBMIT = `mutation($key: String, $name: String, $items: [FactCheckItemInput!]) {
  submitFactCheckBatch(idempotencyKey: $key, input: { name: $name, items: $items }) {
    batch { providerBatchId ... on FactCheckBatch { name context } } userErrors { code message }
  }
}`;
const checkCreated = () => h.sims.factCheck.control.created();
const codes = (r: { errors?: { extensions?: Record<string, unknown> }[] }) => r.errors?.map((e) => e.extensions?.code);

const BAD_ANSWERS: { label: string; fault: FaultRule }[] = [
  ...[500, 502, 503, 504, 408].map((status) => ({
    label: `HTTP ${status}`,
    fault: { kind: 'afterWrite', answer: 'status', status } as FaultRule,
  })),
  { label: 'a truncated 2xx', fault: { kind: 'afterWrite', answer: 'truncated' } },
  { label: 'a 2xx of another shape', fault: { kind: 'afterWrite', answer: 'otherShape' } },
  { label: 'an oversized 2xx', fault: { kind: 'afterWrite', answer: 'oversized', bytes: 70_000 } },
  { label: 'a reset after the headers', fault: { kind: 'afterWrite', answer: 'resetAfterHeaders' } },
  { label: 'a late answer', fault: { kind: 'afterWrite', answer: 'late', delayMs: 1_500 } },
];

describe('a Check write answered badly after it was stored', () => {
  for (const [i, { label, fault }] of BAD_ANSWERS.entries()) {
    it(`${label}: the first attempt and two retries make one batch, and the retries get it back`, async () => {
      const who = newClient();
      const vars = { key: `bad-${i}`, name: `bad answer ${i}`, items: [{ content: 'Stored, then lost.' }] };
      const before = checkCreated().length;
      h.sims.factCheck.control.addFault({ ...fault, pathPrefix: '/v1/batch', times: 1 });
      const started = Date.now();
      const first = await h.gql(SUBMIT, vars, who);
      expect(codes(first)).toEqual(['OUTCOME_UNKNOWN']);
      expect(checkCreated().length - before).toBe(1);
      const upstream = checkCreated().at(-1)!.id;

      // Within the first attempt's window: still unknown, with when to come back, and nothing written.
      const early = await h.gql(SUBMIT, vars, who);
      expect(codes(early)).toEqual(['OUTCOME_UNKNOWN']);
      expect(early.errors?.[0]?.extensions?.retryAfterMs).toEqual(expect.any(Number));

      await sleep(Math.max(0, started + WINDOW_MS + 100 - Date.now()));
      const second = await h.gql(SUBMIT, vars, who);
      expect(second.errors).toBeUndefined();
      expect(second.data.submitFactCheckBatch.batch).toMatchObject({ providerBatchId: upstream, name: vars.name });
      // The marker is the gateway's: the caller's context does not show it.
      expect(second.data.submitFactCheckBatch.batch.context).toBeNull();
      const third = await h.gql(SUBMIT, vars, who);
      expect(third.data.submitFactCheckBatch.batch.providerBatchId).toBe(upstream);
      expect(checkCreated().length - before).toBe(1);
      expect(h.sims.factCheck.control.counters()['POST /v1/batch']).toBe(1);
    });
  }

  it('writes again only when the batch is surely absent (the write never reached Check)', async () => {
    const who = newClient();
    const vars = { key: 'absent', name: 'never stored', items: [{ content: 'Lost on the way.' }] };
    // A hang that never performs the write: the attempt times out, so its outcome is unknown.
    h.sims.factCheck.control.addFault({ kind: 'hang', pathPrefix: '/v1/batch', times: 1 });
    const before = checkCreated().length;
    const started = Date.now();
    expect(codes(await h.gql(SUBMIT, vars, who))).toEqual(['OUTCOME_UNKNOWN']);
    expect(checkCreated().length).toBe(before);
    await sleep(Math.max(0, started + WINDOW_MS + 100 - Date.now()));
    const retry = await h.gql(SUBMIT, vars, who);
    expect(retry.errors).toBeUndefined();
    expect(checkCreated().length - before).toBe(1);
    expect(retry.data.submitFactCheckBatch.batch.providerBatchId).toBe(checkCreated().at(-1)!.id);
    const replay = await h.gql(SUBMIT, vars, who);
    expect(replay.data.submitFactCheckBatch.batch.providerBatchId).toBe(checkCreated().at(-1)!.id);
    expect(checkCreated().length - before).toBe(1);
  });
});

describe('Reach and Gameball keep no marker: no blind retry', () => {
  const REACH = `mutation($key: String) { submitReachResources(idempotencyKey: $key, input: { schema: "contacts",
    resources: [{ externalId: "amb-1" }] }) { batch { providerBatchId } userErrors { code } } }`;
  const GAMEBALL = `mutation($key: String) { submitGameballBatch(idempotencyKey: $key, input: { orderTransactions:
    ["amb-1"] }) { batch { providerBatchId } userErrors { code } } }`;
  for (const [name, query, sim, prefix] of [
    ['Reach', REACH, () => h.sims.reach, '/api/resources/'],
    ['Gameball', GAMEBALL, () => h.sims.gameball, '/api/v4.0/integrations/batch/'],
  ] as const) {
    it(`${name}: a retry after a 502 is OUTCOME_UNKNOWN, before and after the window, and writes nothing`, async () => {
      const who = newClient();
      const before = sim().control.created().length;
      sim().control.addFault({ kind: 'afterWrite', answer: 'status', status: 502, pathPrefix: prefix, times: 1 });
      const started = Date.now();
      expect(codes(await h.gql(query, { key: `${name}-amb` }, who))).toEqual(['OUTCOME_UNKNOWN']);
      expect(codes(await h.gql(query, { key: `${name}-amb` }, who))).toEqual(['OUTCOME_UNKNOWN']);
      await sleep(Math.max(0, started + WINDOW_MS + 100 - Date.now()));
      const late = await h.gql(query, { key: `${name}-amb` }, who);
      expect(codes(late)).toEqual(['OUTCOME_UNKNOWN']);
      expect(late.errors?.[0]?.message).toContain('look for the batch');
      expect(sim().control.created().length - before).toBe(1);
    });
  }
});

describe('definite refusals', () => {
  const items = [{ content: 'Refused.' }];
  for (const status of [400, 404, 409, 413, 422]) {
    it(`records a ${status}: a replay answers it again without an upstream call`, async () => {
      const who = newClient();
      h.sims.factCheck.control.addFault({ kind: 'refuse', status, pathPrefix: '/v1/batch', times: 1 });
      const first = await h.gql(SUBMIT, { key: `refused-${status}`, items }, who);
      const answer = first.errors ? codes(first) : first.data.submitFactCheckBatch.userErrors.map((e: any) => e.code);
      expect(answer).toHaveLength(1);
      const replay = await h.gql(SUBMIT, { key: `refused-${status}`, items }, who);
      const again = replay.errors ? codes(replay) : replay.data.submitFactCheckBatch.userErrors.map((e: any) => e.code);
      expect(again).toEqual(answer);
      expect(h.sims.factCheck.control.counters()['POST /v1/batch']).toBe(1);
    });
  }

  for (const status of [401, 403, 429]) {
    it(`frees the key on a ${status}: the retry goes through and makes one batch`, async () => {
      const who = newClient();
      const before = checkCreated().length;
      h.sims.factCheck.control.addFault({ kind: 'refuse', status, pathPrefix: '/v1/batch', times: 1 });
      const first = await h.gql(SUBMIT, { key: `freed-${status}`, items }, who);
      expect(first.errors?.[0]?.extensions?.code).not.toBe('OUTCOME_UNKNOWN');
      const retry = await h.gql(SUBMIT, { key: `freed-${status}`, items }, who);
      expect(retry.data.submitFactCheckBatch.batch.providerBatchId).toBe(checkCreated().at(-1)!.id);
      expect(checkCreated().length - before).toBe(1);
    });
  }
});

describe('keys per client', () => {
  it("a refused flood takes no key, a client at its cap is refused, and another client's key holds", async () => {
    const victim = newClient();
    const kept = await h.gql(SUBMIT, { key: 'mine', items: [{ content: 'Kept.' }] }, victim);
    const keptId = kept.data.submitFactCheckBatch.batch.providerBatchId;

    const flooder = newClient();
    // Refused before any upstream call (an empty item): no key is taken, however many.
    for (let i = 0; i < 30; i++) {
      const r = await h.gql(SUBMIT, { key: `flood-${i}`, items: [{ content: '' }] }, flooder);
      expect(r.data.submitFactCheckBatch.userErrors[0].code).toBe('BAD_USER_INPUT');
    }
    // Real writes up to the cap (8), then a new key is refused.
    for (let i = 0; i < 8; i++) {
      const r = await h.gql(SUBMIT, { key: `real-${i}`, items: [{ content: `Real ${i}.` }] }, flooder);
      expect(r.data.submitFactCheckBatch.batch).not.toBeNull();
    }
    const over = await h.gql(SUBMIT, { key: 'real-8', items: [{ content: 'One too many.' }] }, flooder);
    expect(codes(over)).toEqual(['IDEMPOTENCY_KEY_LIMIT']);
    // Its own keys still replay, and so does the victim's.
    const replayOwn = await h.gql(SUBMIT, { key: 'real-0', items: [{ content: 'Real 0.' }] }, flooder);
    expect(replayOwn.data.submitFactCheckBatch.batch).not.toBeNull();
    const before = checkCreated().length;
    const victimRetry = await h.gql(SUBMIT, { key: 'mine', items: [{ content: 'Kept.' }] }, victim);
    expect(victimRetry.data.submitFactCheckBatch.batch.providerBatchId).toBe(keptId);
    expect(checkCreated().length).toBe(before);
  });
});

describe('mutations over graphql-ws', () => {
  it('run with the same key rules as over HTTP: one batch, replayed on the second call', async () => {
    const ws = wsClient(h.url);
    const run = (key: string) =>
      new Promise<any>((resolve, reject) => {
        let result: any;
        ws.subscribe(
          { query: SUBMIT, variables: { key, name: 'over a socket', items: [{ content: 'Via graphql-ws.' }] } },
          { next: (v) => (result = v), error: reject, complete: () => resolve(result) },
        );
      });
    const before = checkCreated().length;
    const first = await run('ws-key');
    const second = await run('ws-key');
    await ws.dispose();
    expect(first.errors).toBeUndefined();
    expect(first.data.submitFactCheckBatch.batch.name).toBe('over a socket');
    expect(second.data.submitFactCheckBatch.batch.providerBatchId).toBe(
      first.data.submitFactCheckBatch.batch.providerBatchId,
    );
    expect(checkCreated().length - before).toBe(1);
  });
});
