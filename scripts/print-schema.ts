/**
 * `npm run schema:print`: writes the merged public schema, as the gateway serves it (schema/ plus the
 * provider definitions, `createSchema`), to `schema.graphql` at the repository root, for tooling and
 * frontend codegen. `scripts/check-generated.ts` fails when the committed file is stale.
 */
import { writeFileSync } from 'node:fs';
import { createSchema, PRINTED_SCHEMA_FILE, printServedSchema } from '../src/graphql/schema.js';
import { PROVIDER_DEFINITIONS } from '../src/providers/index.js';

const sdl = printServedSchema(createSchema(PROVIDER_DEFINITIONS));
writeFileSync(PRINTED_SCHEMA_FILE, sdl);
console.log(`Wrote ${PRINTED_SCHEMA_FILE} (${sdl.split('\n').length} lines).`);
