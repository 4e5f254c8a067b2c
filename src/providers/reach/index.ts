import type { ProviderDefinition } from '../definition.js';
import { httpProviderSettings, rateLimitVariable, readSdl } from '../definition.js';
import { reachSchema } from './resolvers.js';
import { REACH_CAPABILITIES } from './capabilities.js';
import { createReachAdapter } from './adapter.js';
import { createReachHttpClient } from './client.js';

/** Reach documents no rate limit: no budget unless `REACH_RATE_LIMIT` sets one. */
const settings = httpProviderSettings(
  { name: 'REACH_BASE_URL', meaning: 'Reach server URL, e.g. `https://api.embedreach.com`' },
  { token: { name: 'REACH_TOKEN', meaning: 'Reach JWT, sent as `Authorization: Bearer`' } },
  {
    tenantId: {
      name: 'REACH_TENANT_ID',
      meaning: 'sent as `reach-tenant-id`; needed with a partner-scoped token, not with a tenant-scoped one',
    },
  },
  {
    shape: {
      REACH_RATE_LIMIT: rateLimitVariable([]).describe("Reach's request budget (Reach documents no limit)"),
    },
    build: (v) => ({ rateLimit: v.REACH_RATE_LIMIT }),
  },
);
type ReachSettings = NonNullable<ReturnType<typeof settings.parse>>;

/** Reach: partner resource ingest, patch and delete batches; cursor-paged lists, tenant-scoped data. */
export const reach: ProviderDefinition<ReachSettings, 'REACH'> = {
  name: 'REACH',
  displayName: 'Reach',
  capabilities: REACH_CAPABILITIES,
  settings,
  secrets: ['REACH_TOKEN'],
  sensitiveHeaders: ['reach-tenant-id'],
  writes: ['REACH_SUBMIT', 'REACH_PATCH', 'REACH_DELETE'],
  schema: reachSchema(readSdl(new URL('./schema.graphql', import.meta.url))),
  createAdapter: (s, shared) => createReachAdapter(createReachHttpClient({ ...shared, ...s })),
};
