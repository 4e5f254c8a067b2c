import { PROVIDER_DEFINITIONS } from '../../src/providers/index.js';
/**
 * `schema.graphql` (`npm run schema:print`) is the schema the gateway serves: byte for byte what
 * `printServedSchema` prints from the provider definitions, and what introspection of a running
 * gateway (over HTTP, as GraphiQL and codegen tools read it) describes.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  buildClientSchema,
  buildSchema,
  getIntrospectionQuery,
  lexicographicSortSchema,
  printSchema,
  type GraphQLSchema,
  type IntrospectionQuery,
} from 'graphql';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSchema, PRINTED_SCHEMA_FILE, printServedSchema } from '../../src/graphql/schema.js';
import { startHarness, type Harness } from '../helpers/harness.js';

const committed = readFileSync(fileURLToPath(new URL(`../../${PRINTED_SCHEMA_FILE}`, import.meta.url)), 'utf8');
/** Order-independent SDL, to compare schemas built by different routes. */
const canonical = (schema: GraphQLSchema) => printSchema(lexicographicSortSchema(schema));

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ batchCount: 20 });
});
afterAll(() => h?.close());

it('is the printed served schema (run `npm run schema:print` when this fails)', () => {
  expect(committed).toBe(printServedSchema(createSchema(PROVIDER_DEFINITIONS)));
  expect(committed).toContain('type FactCheckBatch implements Batch & Node');
});

it("matches the running gateway's introspection, descriptions, deprecations and directives included", async () => {
  const query = getIntrospectionQuery({
    descriptions: true,
    specifiedByUrl: true,
    directiveIsRepeatable: true,
    schemaDescription: true,
    inputValueDeprecation: true,
  });
  const res = await h.gql<IntrospectionQuery>(query);
  expect(res.errors).toBeUndefined();
  const served = buildClientSchema(res.data!);
  expect(canonical(served)).toBe(canonical(buildSchema(committed)));
});
