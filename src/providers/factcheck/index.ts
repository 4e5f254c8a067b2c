import type { ProviderDefinition } from '../definition.js';
import { httpProviderSettings } from '../definition.js';
import { FACT_CHECK_CAPABILITIES } from './capabilities.js';
import { createFactCheckAdapter } from './adapter.js';
import { createFactCheckHttpClient } from './client.js';

const settings = httpProviderSettings('FACTCHECK_BASE_URL', { apiKey: 'FACTCHECK_API_KEY' });
type FactCheckSettings = NonNullable<ReturnType<typeof settings.parse>>;

/** Check: batch fact-checking; offset-paged lists and per-item results. */
export const factCheck: ProviderDefinition<FactCheckSettings> = {
  name: 'FACT_CHECK',
  typeName: 'FactCheckBatch',
  capabilities: FACT_CHECK_CAPABILITIES,
  settings,
  secrets: ['FACTCHECK_API_KEY'],
  createAdapter: (s, shared) => createFactCheckAdapter(createFactCheckHttpClient({ ...shared, ...s })),
};
