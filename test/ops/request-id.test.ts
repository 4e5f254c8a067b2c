import { afterAll, beforeAll, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import { startHarness, type Harness } from '../helpers/harness.js';

/** Request ids (`x-request-id`) through the real gateway: echoed, on every log line, and the access line. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ batchCount: 20, env: { UPSTREAM_RETRIES: '0', UPSTREAM_BREAKER_THRESHOLD: '50' } });
});
afterAll(() => h.close());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function post(query: string, headers: Record<string, string> = {}) {
  const res = await fetch(h.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query }),
  });
  return { res, body: (await res.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] } };
}

const lines = () => h.logs.map((l) => JSON.parse(l) as Record<string, unknown>);

it('echoes a valid x-request-id and puts it on every log line of the request, upstream warnings included', async () => {
  const id = h.sims.factCheck.control.idsByState().done![0]!;
  h.sims.factCheck.control.setFault({ kind: 'http5xx', status: 500 });
  const before = h.logs.length;
  const { res, body } = await post(`query FailingNode { node(id: "${toGlobalId('FACT_CHECK', id)}") { id } }`, {
    'x-request-id': 'req-abc.123:x_1',
  });
  h.resetCounters();
  expect(res.headers.get('x-request-id')).toBe('req-abc.123:x_1');
  expect(body.errors?.[0]?.extensions?.code).toBe('PROVIDER_UNAVAILABLE');
  const mine = lines()
    .slice(before)
    .filter((l) => l.requestId === 'req-abc.123:x_1');
  const warn = mine.find((l) => l.msg === 'upstream call failed');
  expect(warn).toMatchObject({ level: 40, provider: 'FACT_CHECK', code: 'PROVIDER_UNAVAILABLE', upstreamStatus: 500 });
  expect(JSON.stringify(warn)).not.toMatch(/http:\/\/|127\.0\.0\.1|vfy_/);
  const access = mine.find((l) => l.msg === 'graphql operation');
  expect(access).toMatchObject({
    level: 30,
    operationName: 'FailingNode',
    operationType: 'query',
    transport: 'http',
    status: 200,
    errorCodes: ['PROVIDER_UNAVAILABLE'],
    upstreamCalls: { FACT_CHECK: 1 },
  });
  expect(typeof access!.durationMs).toBe('number');
  // Every line logged meanwhile that belongs to a request is this one's.
  const others = lines()
    .slice(before)
    .filter((l) => l.requestId !== undefined && l.requestId !== 'req-abc.123:x_1');
  expect(others).toEqual([]);
});

it("puts the request id on a write's upstream warning too (a write is not tied to the client's signal)", async () => {
  h.sims.factCheck.control.setFault({ kind: 'http5xx', status: 503 });
  const before = h.logs.length;
  const { body } = await post(
    'mutation Submit { submitFactCheckBatch(input: { items: [{ content: "The sky is blue." }] }) { batch { id } } }',
    { 'x-request-id': 'write-req-7' },
  );
  h.resetCounters();
  expect(JSON.stringify(body)).toMatch(/PROVIDER_UNAVAILABLE|OUTCOME_UNKNOWN/);
  const warn = lines()
    .slice(before)
    .find((l) => l.msg === 'upstream call failed');
  expect(warn).toMatchObject({ level: 40, provider: 'FACT_CHECK', requestId: 'write-req-7', upstreamStatus: 503 });
});

it('generates an id when none is sent or the one sent is invalid', async () => {
  const cases: Record<string, string>[] = [
    {},
    { 'x-request-id': 'bad id with spaces' },
    { 'x-request-id': 'x'.repeat(129) },
  ];
  for (const headers of cases) {
    const before = h.logs.length;
    const { res } = await post('query Providers { providers { provider } }', headers);
    const echoed = res.headers.get('x-request-id')!;
    expect(echoed).toMatch(UUID);
    const access = lines()
      .slice(before)
      .find((l) => l.msg === 'graphql operation');
    expect(access).toMatchObject({ requestId: echoed, operationName: 'Providers', errorCodes: [] });
  }
});

it('logs the access line of a refused document with its error code', async () => {
  const before = h.logs.length;
  const { res } = await post('query Broken { nope }', { 'x-request-id': 'broken-1' });
  expect(res.headers.get('x-request-id')).toBe('broken-1');
  const access = lines()
    .slice(before)
    .find((l) => l.msg === 'graphql operation');
  expect(access).toMatchObject({ requestId: 'broken-1', errorCodes: ['GRAPHQL_VALIDATION_FAILED'] });
});
