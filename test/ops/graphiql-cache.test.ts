import { createYoga, createSchema } from 'graphql-yoga';
import { describe, expect, it, vi } from 'vitest';

/** The page is rendered once and compressed once per encoding, however many ask at once. */
const calls = vi.hoisted(() => ({ render: 0, brotli: 0, gzip: 0 }));
vi.mock(import('@graphql-yoga/render-graphiql'), async (original) => {
  const actual = await original();
  return { renderGraphiQL: (...args) => (calls.render++, actual.renderGraphiQL(...args)) };
});
vi.mock(import('node:zlib'), async (original) => {
  const actual = await original();
  return {
    ...actual,
    brotliCompress: ((...args: Parameters<typeof actual.brotliCompress>) => (
      calls.brotli++,
      actual.brotliCompress(...args)
    )) as typeof actual.brotliCompress,
    gzip: ((...args: Parameters<typeof actual.gzip>) => (calls.gzip++, actual.gzip(...args))) as typeof actual.gzip,
  };
});
const { useOfflineGraphiQL } = await import('../../src/http/graphiql.js');

describe('useOfflineGraphiQL', () => {
  it('renders the page on first demand and compresses it once per encoding', async () => {
    const yoga = createYoga({
      schema: createSchema({ typeDefs: 'type Query { ok: Boolean }' }),
      graphiql: false,
      plugins: [useOfflineGraphiQL({ title: 't' })],
    });
    expect(calls).toEqual({ render: 0, brotli: 0, gzip: 0 });
    const get = (encoding: string) =>
      yoga.fetch('http://gateway.test/graphql', { headers: { accept: 'text/html', 'accept-encoding': encoding } });
    const first = await Promise.all([get('br'), get('br'), get('gzip'), get('identity')]);
    const later = await Promise.all([get('br'), get('gzip'), get('gzip'), get('')]);
    expect(calls).toEqual({ render: 1, brotli: 1, gzip: 1 });
    const bodies = await Promise.all([...first, ...later].map(async (r) => Buffer.from(await r.arrayBuffer())));
    expect(first.map((r) => r.headers.get('content-encoding'))).toEqual(['br', 'br', 'gzip', null]);
    expect(bodies[0]!.equals(bodies[4]!)).toBe(true); // br, from memory
    expect(bodies[2]!.equals(bodies[5]!)).toBe(true); // gzip, from memory
    expect(bodies[3]!.length).toBeGreaterThan(bodies[0]!.length * 3);
  });
});
