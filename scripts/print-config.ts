/**
 * `npm run config:print` (part of `npm run codegen`): writes the configuration reference, docs/configuration.md,
 * from the settings fragments and the provider definitions (`config-reference.ts`). `scripts/check-generated.ts`
 * fails when the committed file is stale.
 */
import { writeFileSync } from 'node:fs';
import { PROVIDER_DEFINITIONS } from '../src/providers/index.js';
import { CONFIG_REFERENCE_FILE, configReference } from './config-reference.js';

const reference = configReference(PROVIDER_DEFINITIONS);
writeFileSync(CONFIG_REFERENCE_FILE, reference);
console.log(`Wrote ${CONFIG_REFERENCE_FILE} (${reference.split('\n').length} lines).`);
