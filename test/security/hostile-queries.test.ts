import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { PROVIDER_DEFINITIONS } from '../../src/providers/index.js';

/** Hostile and malformed requests: each gets a clear error with a code, never a 500, never a hang. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ batchCount: 40 });
});
afterAll(() => h.close());

const JSON_CHUNKED = { 'content-type': 'application/json', 'transfer-encoding': 'chunked' };

async function post(body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const res = await fetch(h.url, {
    method: 'POST',
    headers: { accept: 'application/graphql-response+json, application/json', ...headers },
    body,
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

const codeOf = (r: { json: any }) => r.json?.errors?.[0]?.extensions?.code;

describe('query shape limits (graphql-armor)', () => {
  it('refuses a query deeper than MAX_QUERY_DEPTH', async () => {
    // The schema has no cycles, so its deepest path is short; a low limit shows the rule works.
    const shallow = await startHarness({ batchCount: 10, env: { MAX_QUERY_DEPTH: '4' } });
    try {
      const deep = await shallow.gql('{ batches(first: 1) { edges { node { progress { total } } } } }');
      expect(deep.status).not.toBe(500);
      expect(deep.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
      expect(deep.errors?.[0]?.message).toMatch(/depth/i);
      expect(shallow.sims.reach.control.totalRequests()).toBe(0);
      const ok = await shallow.gql('{ batches(first: 1) { edges { cursor } } }');
      expect(ok.errors).toBeUndefined();
    } finally {
      await shallow.close();
    }
  });

  it('refuses too many aliases', async () => {
    const fields = Array.from({ length: 25 }, (_, i) => `a${i}: providers { provider }`).join(' ');
    const r = await post(JSON.stringify({ query: `{ ${fields} }` }));
    expect(codeOf(r)).toBe('QUERY_TOO_COMPLEX');
  });

  it('refuses too many directives', async () => {
    const r = await post(JSON.stringify({ query: `{ providers ${'@include(if: true) '.repeat(25)} { provider } }` }));
    expect(codeOf(r)).toBe('QUERY_TOO_COMPLEX');
  });

  it('refuses a query of too many tokens', async () => {
    const r = await post(JSON.stringify({ query: `{ providers { ${'provider '.repeat(2_500)} } }` }));
    expect(r.status).not.toBe(500);
    expect(codeOf(r)).toBe('QUERY_TOO_COMPLEX');
  });

  it('refuses a costly wide query', async () => {
    const wide = Array.from(
      { length: 15 },
      (_, i) =>
        `b${i}: batches(first: 100) { edges { node { ` +
        'id status progress { total processed succeeded failed pending percent } } } }',
    ).join(' ');
    const r = await post(JSON.stringify({ query: `{ ${wide} }` }));
    expect(codeOf(r)).toBe('QUERY_TOO_COMPLEX');
    expect(h.sims.reach.control.counters()['GET /api/batches'] ?? 0).toBe(0);
  });
});

describe('malformed requests', () => {
  it('answers 413 for a huge body', async () => {
    const r = await post(
      JSON.stringify({ query: `{ providers { provider } }`, variables: { pad: 'x'.repeat(200_000) } }),
    );
    expect(r.status).toBe(413);
    expect(codeOf(r)).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses a chunked query body that grows past the limit, before anything runs', async () => {
    h.resetCounters();
    const url = new URL(h.url);
    const outcome = await new Promise<string>((resolve) => {
      const req = request(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: JSON_CHUNKED },
        (res) => {
          res.resume();
          res.on('end', () => resolve(`answered ${res.statusCode}`));
          res.on('error', () => resolve('cut off'));
        },
      );
      req.on('error', () => resolve('cut off'));
      const query = JSON.stringify({ query: '{ batches(first: 1) { totalCount } }', variables: { pad: '' } });
      // No Content-Length: the body streams in 10 KB chunks, 150 KB in all (MAX_BODY_BYTES is 100 KB).
      req.write(query.slice(0, -3));
      let sent = 0;
      const more = () => {
        if (sent >= 150_000) return req.end('"}}');
        sent += 10_000;
        if (req.write('x'.repeat(10_000))) setImmediate(more);
        else req.once('drain', more);
      };
      more();
    });
    // The HTTP layer reads bodies up to MAX_MUTATION_BODY_BYTES (a chunked body past it is cut off); a
    // query's body over MAX_BODY_BYTES is then refused with 413 once parsed (`useBodyLimits`).
    expect(outcome).toBe('answered 413');
    expect(h.sims.reach.control.counters()['GET /api/batches'] ?? 0).toBe(0);
  });

  it('answers 400 for malformed JSON', async () => {
    const r = await post('{"query": "{ providers { provider } }"');
    expect(r.status).toBe(400);
    expect(r.json.errors[0].message).toBeTruthy();
  });

  it('refuses an unsupported content type', async () => {
    const r = await post('query { providers { provider } }', { 'content-type': 'text/xml', 'x-batchql-csrf': '1' });
    expect([400, 415]).toContain(r.status);
  });

  it(
    'answers a syntax error with GRAPHQL_PARSE_FAILED, ' +
      'and an unknown field with GRAPHQL_VALIDATION_FAILED, never a 500',
    async () => {
      const syntax = await post(JSON.stringify({ query: '{ providers { ' }));
      expect(syntax.status).toBe(400);
      expect(codeOf(syntax)).toBe('GRAPHQL_PARSE_FAILED');
      const unknown = await post(JSON.stringify({ query: '{ nope }' }));
      expect(unknown.status).toBe(400);
      expect(codeOf(unknown)).toBe('GRAPHQL_VALIDATION_FAILED');
    },
  );
});

describe('WebSocket messages', () => {
  it('closes a socket that sends a message over MAX_BODY_BYTES', async () => {
    const { default: WebSocket } = await import('ws');
    const socket = new WebSocket(h.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    await new Promise((resolve, reject) => (socket.once('open', resolve), socket.once('error', reject)));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { pad: 'x'.repeat(200_000) } }));
    expect(await closed).toBe(1009);
  });
});

describe('CSRF prevention', () => {
  const q = encodeURIComponent('{ providers { provider } }');
  it('blocks a simple GET without the CSRF header', async () => {
    const res = await fetch(`${h.url}?query=${q}`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(403);
    await res.body?.cancel();
  });
  it('accepts the GET with x-batchql-csrf', async () => {
    const res = await fetch(`${h.url}?query=${q}`, { headers: { accept: 'application/json', 'x-batchql-csrf': '1' } });
    expect(res.status).toBe(200);
    expect((await res.json()).data.providers).toHaveLength(PROVIDER_DEFINITIONS.length);
  });
  it('lets an EventSource GET subscribe', async () => {
    const id = h.sims.factCheck.control.idsByState().done![0]!;
    const gid = Buffer.from(`FactCheckBatch:${id}`).toString('base64url');
    const res = await fetch(`${h.url}?query=${encodeURIComponent(`subscription { batch(id: "${gid}") { status } }`)}`, {
      headers: { accept: 'text/event-stream' },
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('event: next');
    expect(text).toContain('event: complete');
  });
});

describe('introspection off', () => {
  let strict: Harness;
  beforeAll(async () => {
    strict = await startHarness({ batchCount: 20, env: { INTROSPECTION: 'false' } });
  });
  afterAll(() => strict.close());

  it('refuses introspection and hides field suggestions', async () => {
    const intro = await strict.gql('{ __schema { types { name } } }');
    expect(intro.errors?.[0]?.message).toMatch(/introspection/i);
    const typo = await strict.gql('{ provders { provider } }');
    expect(typo.errors?.[0]?.extensions?.code).toBeDefined();
    expect(JSON.stringify(typo)).not.toMatch(/Did you mean/);
    const typoOpen = await h.gql('{ provders { provider } }');
    expect(JSON.stringify(typoOpen)).toMatch(/Did you mean/);
  });
});
