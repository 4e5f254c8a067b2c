import type { Plugin } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createListServices, type LiveServices } from '../../src/graphql/context.js';
import { createGateway } from '../../src/server.js';
import { createIdempotencyStore } from '../../src/writes/create-store.js';
import { writeAttemptWindowMs } from '../../src/writes/settings.js';
import { storeOptions } from '../helpers/config.js';

/**
 * Parse and validation (with graphql-armor's depth, cost, alias, directive and token analysis, all
 * document-only) run once per document, not once per request: a plugin after the gateway's own
 * counts the parser and validator calls that actually happen.
 */
function countingGateway() {
  const counts = { parsed: 0, validated: 0 };
  const counting: Plugin = {
    onParse({ parseFn, setParseFn }) {
      setParseFn((source, options) => {
        counts.parsed++;
        return parseFn(source, options);
      });
    },
    onValidate({ validateFn, setValidationFn }) {
      setValidationFn((...args) => {
        counts.validated++;
        return validateFn(...args);
      });
    },
  };
  const config = loadConfig({ PORT: '0', AUTH_MODE: 'none' });
  const gateway = createGateway({
    providers: {},
    limits: config.upstream,
    lists: createListServices(config.lists),
    // No subscription runs here.
    live: {} as LiveServices,
    writes: {
      idempotency: createIdempotencyStore(storeOptions()),
      writeScope: config.auth.writeScope,
      attemptWindowMs: writeAttemptWindowMs(config.upstream),
    },
    queries: config.queries,
    trustProxy: config.trustProxy,
    plugins: [counting],
  });
  const post = async (query: string, variables?: Record<string, unknown>) => {
    const res = await gateway.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] };
  };
  return { counts, post };
}

describe('document cache', () => {
  it('parses and validates a document sent with different variables once', async () => {
    const { counts, post } = countingGateway();
    const query = 'query P($with: Boolean!) { providers @include(if: $with) { provider } }';
    for (const include of [true, false, true, false, true]) {
      const r = await post(query, { with: include });
      expect(r.errors).toBeUndefined();
      expect(Array.isArray(r.data.providers)).toBe(include);
    }
    expect(counts).toEqual({ parsed: 1, validated: 1 });
  });

  it('parses and validates each different document text', async () => {
    const { counts, post } = countingGateway();
    for (const alias of ['a', 'b', 'c'])
      expect((await post(`{ ${alias}: providers { provider } }`)).errors).toBeUndefined();
    expect(counts).toEqual({ parsed: 3, validated: 3 });
  });

  it('keeps refusing a cached document over a limit, with its code', async () => {
    const { counts, post } = countingGateway();
    const deep = `{ providers { ${'provider '.repeat(2_100)} } }`;
    const aliased = `{ ${Array.from({ length: 25 }, (_, i) => `p${i}: providers { provider }`).join(' ')} }`;
    for (let i = 0; i < 2; i++) {
      expect((await post(deep)).errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
      expect((await post(aliased)).errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    }
    // The token limit refuses while parsing (no validation); the alias limit at validation.
    expect(counts).toEqual({ parsed: 2, validated: 1 });
  });
});
