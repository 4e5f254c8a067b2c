import type { ProviderDefinition } from '../definition.js';
import { httpProviderSettings, rateLimitVariable, readSdl } from '../definition.js';
import { reachSchema } from './resolvers.js';
import { REACH_CAPABILITIES } from './capabilities.js';
import { createReachAdapter } from './adapter.js';
import { createReachHttpClient } from './client.js';

/** Reach documents no rate limit: no budget unless `REACH_RATE_LIMIT` sets one. */
const settings = httpProviderSettings(
  'REACH_BASE_URL',
  { token: 'REACH_TOKEN' },
  { tenantId: 'REACH_TENANT_ID' },
  { shape: { REACH_RATE_LIMIT: rateLimitVariable() }, build: (v) => ({ rateLimit: v.REACH_RATE_LIMIT ?? [] }) },
);
type ReachSettings = NonNullable<ReturnType<typeof settings.parse>>;

/** Reach: partner resource ingest, patch and delete batches; cursor-paged lists, tenant-scoped data. */
export const reach: ProviderDefinition<ReachSettings, 'REACH'> = {
  name: 'REACH',
  displayName: 'Reach',
  typeName: 'ReachBatch',
  capabilities: REACH_CAPABILITIES,
  settings,
  secrets: ['REACH_TOKEN'],
  sensitiveHeaders: ['reach-tenant-id'],
  writes: ['REACH_SUBMIT', 'REACH_PATCH', 'REACH_DELETE'],
  schema: reachSchema(readSdl(new URL('./schema.graphql', import.meta.url))),
  createAdapter: (s, shared) => createReachAdapter(createReachHttpClient({ ...shared, ...s })),
};
