import { afterAll, beforeAll, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { sseClient, subscribe, wsClient } from '../helpers/live-clients.js';
import { until } from '../helpers/until.js';

/** `/metrics` after real traffic, the subscription access line, the open-connection gauges and breaker logs. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ batchCount: 20, env: { UPSTREAM_RETRIES: '0', UPSTREAM_BREAKER_THRESHOLD: '2' } });
});
afterAll(() => h.close());

const metrics = async () => (await fetch(h.url.replace(/\/graphql$/, '/metrics'))).text();
const lines = () => h.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
const WATCH = 'subscription Watch($id: ID!) { batch(id: $id) { status } }';

it('shows requests, errors and durations by operation, and upstream outcomes in one vocabulary', async () => {
  const done = h.sims.factCheck.control.idsByState().done![0]!;
  await h.gql(`query One { node(id: "${toGlobalId('FACT_CHECK', done)}") { id } }`);
  await h.gql(`query Missing { node(id: "${toGlobalId('FACT_CHECK', 'batch_ffffffffffff')}") { id } }`);
  await h.gql('{ providers { provider } }');
  await h.gql('query Broken { nope }');
  const text = await metrics();
  expect(text).toMatch(/batchql_graphql_requests_total\{operation_type="query",operation_name="One"\} 1/);
  expect(text).toMatch(/batchql_graphql_requests_total\{operation_type="query",operation_name="anonymous"\} 1/);
  expect(text).toMatch(/batchql_graphql_requests_total\{operation_type="query",operation_name="Broken"\} 1/);
  expect(text).toMatch(/batchql_graphql_errors_total\{code="NOT_FOUND"\} 1/);
  expect(text).toMatch(/batchql_graphql_errors_total\{code="GRAPHQL_VALIDATION_FAILED"\} 1/);
  expect(text).toMatch(/batchql_graphql_request_duration_seconds_count\{operation_type="query"\} [1-9]/);
  expect(text).toMatch(/batchql_upstream_requests_total\{provider="FACT_CHECK",outcome="NOT_FOUND"\} 1/);
  expect(text).toMatch(/batchql_upstream_duration_seconds_count\{provider="FACT_CHECK",outcome="ok"\} [1-9]/);
  expect(text).not.toMatch(/outcome="http_/);
  expect(text).toMatch(/^# TYPE batchql_polls_total counter$/m);
  expect(text).not.toMatch(/^batchql_polls /m);
});

it('counts an open SSE stream in batchql_open_connections, and logs its access line at its end', async () => {
  const running = h.sims.factCheck.control.idsByState().running![0]!;
  expect(await metrics()).toMatch(/batchql_open_connections\{transport="sse"\} 0/);
  const client = sseClient(h.url, { 'x-request-id': 'sse-stream-1' });
  const sub = subscribe(client, WATCH, { id: toGlobalId('FACT_CHECK', running) });
  await sub.waitForEvents(1, 5_000);
  expect(await metrics()).toMatch(/batchql_open_connections\{transport="sse"\} 1/);
  expect(lines().some((l) => l.msg === 'graphql operation' && l.requestId === 'sse-stream-1')).toBe(false);
  sub.close();
  client.dispose();
  let text = '';
  for (let i = 0; i < 100 && !/batchql_open_connections\{transport="sse"\} 0/.test(text); i++) {
    text = await metrics();
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(text).toMatch(/batchql_open_connections\{transport="sse"\} 0/);
  await until(
    () => lines().some((l) => l.msg === 'graphql operation' && l.requestId === 'sse-stream-1'),
    5_000,
    'the access line',
  );
  const access = lines().find((l) => l.msg === 'graphql operation' && l.requestId === 'sse-stream-1');
  expect(access).toMatchObject({
    operationName: 'Watch',
    operationType: 'subscription',
    transport: 'sse',
    status: 200,
    errorCodes: [],
  });
  expect(await metrics()).toMatch(
    /batchql_graphql_requests_total\{operation_type="subscription",operation_name="Watch"\} 1/,
  );
});

it('counts WebSockets, and gives every operation of a socket its connection id', async () => {
  const running = h.sims.factCheck.control.idsByState().running![0]!;
  const client = wsClient(h.url);
  const sub = subscribe(client, WATCH, { id: toGlobalId('FACT_CHECK', running) });
  await sub.waitForEvents(1, 5_000);
  expect(await metrics()).toMatch(/batchql_open_connections\{transport="ws"\} 1/);
  sub.close();
  await until(
    () => lines().some((l) => l.msg === 'graphql operation' && l.transport === 'ws'),
    5_000,
    'the ws access line',
  );
  const access = lines().find((l) => l.msg === 'graphql operation' && l.transport === 'ws')!;
  expect(access).toMatchObject({ operationName: 'Watch', operationType: 'subscription' });
  expect(access.requestId).toMatch(/^[0-9a-f-]{36}$/);
  await client.dispose();
});

it('logs each breaker transition once, at warn', async () => {
  const done = h.sims.factCheck.control.idsByState().done![0]!;
  // fresh: a finished batch is the ledger's otherwise, and these reads are meant to reach Check.
  const q = `{ node(id: "${toGlobalId('FACT_CHECK', done)}", fresh: true) { id } }`;
  h.sims.factCheck.control.setFault({ kind: 'http5xx', status: 503 });
  for (let i = 0; i < 3; i++) await h.gql(q);
  h.resetCounters();
  await new Promise((r) => setTimeout(r, 150));
  await h.gql(q);
  const circuit = lines().filter((l) => l.provider === 'FACT_CHECK' && typeof l.circuit === 'string');
  expect(circuit.map((l) => l.circuit)).toEqual(['OPEN', 'HALF_OPEN', 'CLOSED']);
  expect(circuit.every((l) => l.level === 40)).toBe(true);
  expect(await metrics()).toMatch(
    /batchql_upstream_requests_total\{provider="FACT_CHECK",outcome="PROVIDER_UNAVAILABLE"\}/,
  );
});
