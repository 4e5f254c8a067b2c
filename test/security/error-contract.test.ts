import WebSocket from 'ws';
import { createGraphQLError } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatorEnv } from '../../src/dev/gateway-env.js';
import { spawnGateway, type GatewayProcess } from '../../src/dev/gateway-process.js';
import { createManualClock, startSimulators, type Simulators } from '../../src/dev/simulators/index.js';
import { asGraphQLError } from '../../src/http/ws.js';
import { startHarness, type Harness } from '../helpers/harness.js';

/** Every error a client sees is the gateway's own: a code, the gateway's words, nothing of a library's internals. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ batchCount: 40 });
});
afterAll(() => h?.close());

async function post(
  body: string,
  headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
  method = 'POST',
) {
  const res = await fetch(h.url, { method, headers, body: method === 'GET' ? undefined : body });
  return { status: res.status, text: await res.text() };
}

describe('HTTP errors', () => {
  it('answers malformed JSON with BAD_REQUEST and nothing from the parser', async () => {
    const res = await post('{"query": ');
    expect(res.status).toBe(400);
    const body = JSON.parse(res.text);
    expect(body.errors[0].extensions).toEqual({ code: 'BAD_REQUEST' });
    expect(res.text).not.toMatch(/originalError|SyntaxError|Unexpected end/);
  });

  it.each([
    ['a wrong enum value', { p: 'NOPE' }],
    ['a missing required variable', {}],
    ['a wrong type', { p: 42 }],
  ])('gives a variable that cannot be coerced (%s) BAD_USER_INPUT', async (_, variables) => {
    const res = await post(
      JSON.stringify({
        query: 'query($p: BatchProvider!) { batch(provider: $p, providerBatchId: "x") { id } }',
        variables,
      }),
    );
    const body = JSON.parse(res.text);
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT' });
    expect(h.sims.reach.control.totalRequests() + h.sims.factCheck.control.totalRequests()).toBe(0);
  });

  it('gives a CSRF refusal a code and says which header to send', async () => {
    const res = await fetch(`${h.url}?query=${encodeURIComponent('{ __typename }')}`);
    expect(res.status).toBe(403);
    const body = (await res.json()) as { errors: { message: string; extensions: Record<string, unknown> }[] };
    expect(body.errors[0]!.extensions).toEqual({ code: 'CSRF_REFUSED' });
    expect(body.errors[0]!.message).toContain('x-batchql-csrf');
  });

  it("says plainly that graphql-sse's single connection mode is not supported", async () => {
    // graphql-sse reserves a stream with PUT before it subscribes.
    const res = await fetch(h.url, { method: 'PUT' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, POST');
    const body = (await res.json()) as { errors: { message: string; extensions: Record<string, unknown> }[] };
    expect(body.errors[0]!.extensions).toEqual({ code: 'METHOD_NOT_SUPPORTED' });
    expect(body.errors[0]!.message).toMatch(/single connection mode .* not supported.*distinct connections/);
    expect(body.errors[0]!.message).not.toMatch(/CSRF/);
  });
});

describe('WebSocket errors', () => {
  it('carry a code and never extensions.http, in error and in next messages', async () => {
    const socket = new WebSocket(h.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const messages: { id?: string; type: string; payload?: any }[] = [];
    socket.on('message', (m) => messages.push(JSON.parse(String(m))));
    await new Promise((resolve, reject) => (socket.once('open', resolve), socket.once('error', reject)));
    socket.send(JSON.stringify({ type: 'connection_init' }));
    await new Promise<void>((resolve) =>
      socket.on('message', (m) => JSON.parse(String(m)).type === 'connection_ack' && resolve()),
    );
    const subscribe = (id: string, payload: Record<string, unknown>) =>
      socket.send(JSON.stringify({ id, type: 'subscribe', payload }));
    subscribe('validation', { query: '{ nope }' });
    subscribe('missing', { query: 'subscription($id: ID!) { batch(id: $id) { status } }', variables: {} });
    subscribe('enum', {
      query: 'query($p: BatchProvider!) { batch(provider: $p, providerBatchId: "x") { id } }',
      variables: { p: 'NOPE' },
    });
    subscribe('parse', { query: 'subscription { batch(id: ' });
    const deadline = Date.now() + 5_000;
    while (
      ['validation', 'missing', 'enum', 'parse'].some(
        (id) => !messages.some((m) => m.id === id && m.type !== 'complete'),
      ) &&
      Date.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 10));
    socket.close();
    const errorsOf = (id: string) => {
      const m = messages.find((x) => x.id === id && x.type !== 'complete');
      return (m?.type === 'next' ? m.payload.errors : m?.payload) as {
        message: string;
        locations?: unknown;
        extensions: Record<string, unknown>;
      }[];
    };
    expect(errorsOf('validation')[0]).toMatchObject({
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      locations: [{ line: 1, column: 3 }],
    });
    expect(errorsOf('missing')[0]!.extensions).toEqual({ code: 'BAD_USER_INPUT' });
    expect(errorsOf('enum')[0]!.extensions).toEqual({ code: 'BAD_USER_INPUT' });
    expect(errorsOf('parse')[0]!.extensions).toEqual({ code: 'GRAPHQL_PARSE_FAILED' });
    expect(JSON.stringify(messages)).not.toMatch(/"http"|originalError/);
  });

  it("never carry yoga's extensions.http", () => {
    const fromYoga = createGraphQLError('Unauthenticated: token expired', {
      extensions: { code: 'UNAUTHENTICATED', http: { status: 401, headers: { 'www-authenticate': 'Bearer' } } },
    });
    const sent = asGraphQLError(fromYoga, 'UNAUTHENTICATED');
    expect(sent.extensions).toEqual({ code: 'UNAUTHENTICATED' });
    expect(sent.message).toBe('Unauthenticated: token expired');
    expect(asGraphQLError(new Error('secret internals at 10.0.0.1'), 'INTERNAL_SERVER_ERROR')).toMatchObject({
      message: 'Unexpected error.',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  });
});

describe('graphql-ws internals', () => {
  let sims: Simulators;
  let gateway: GatewayProcess;
  beforeAll(async () => {
    sims = await startSimulators({
      clock: createManualClock(Date.parse('2026-11-01T12:00:00Z')),
      seed: 4,
      batchCount: 20,
    });
    gateway = await spawnGateway({
      ...simulatorEnv(sims),
      MAX_BODY_BYTES: '1000',
      LOG_LEVEL: 'debug',
    });
  }, 30_000);
  afterAll(async () => {
    await gateway?.kill();
    await sims?.close();
  });

  it('logs an oversized frame before connection_init as one debug line, never a stack on stderr', async () => {
    const before = gateway.output().length;
    const codes = await Promise.all(
      Array.from(
        { length: 5 },
        () =>
          new Promise<number>((resolve, reject) => {
            const socket = new WebSocket(gateway.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
            socket.on('open', () => socket.send('x'.repeat(5_000)));
            socket.on('close', (code) => resolve(code));
            socket.on('error', reject);
          }),
      ),
    );
    expect(codes.every((c) => c === 1009)).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    const output = gateway.output().slice(before);
    expect(output).not.toMatch(/Internal error emitted|Please check your implementation|\n\s+at /);
    const lines = output.split('\n').filter((l) => l.includes('websocket:'));
    expect(lines.length).toBeGreaterThanOrEqual(5);
    // One debug line each, saying what happened (not an opaque `{type: "object"}`), with no stack.
    for (const line of lines)
      expect(JSON.parse(line)).toMatchObject({ level: 20, wsError: { code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' } });
    for (const line of lines) expect(line).not.toContain('stack');
    expect(gateway.child.exitCode).toBeNull();
  });
});
