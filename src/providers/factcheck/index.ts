import type { ProviderDefinition } from '../definition.js';
import { env } from '../../config/settings.js';
import { httpProviderSettings, rateLimitVariable, readSdl } from '../definition.js';
import { FACT_CHECK_CAPABILITIES } from './capabilities.js';
import { createFactCheckAdapter } from './adapter.js';
import { createFactCheckHttpClient } from './client.js';
import { checkWebhook } from './webhook.js';

import { FACTCHECK_PLANS, type FactCheckPlan } from './plans.js';
import { factCheckSchema } from './resolvers.js';

export { FACTCHECK_PLANS, type FactCheckPlan } from './plans.js';

const settings = httpProviderSettings(
  'FACTCHECK_BASE_URL',
  { apiKey: 'FACTCHECK_API_KEY' },
  // With it, `POST /webhooks/check` accepts Check's signed batch events (./webhook.ts, served by src/webhooks/).
  { webhookSecret: 'FACTCHECK_WEBHOOK_SECRET' },
  {
    shape: {
      FACTCHECK_PLAN: env.oneOf(Object.keys(FACTCHECK_PLANS) as FactCheckPlan[], 'pro'),
      FACTCHECK_RATE_LIMIT: rateLimitVariable(),
    },
    build: (v) => ({
      plan: v.FACTCHECK_PLAN,
      // The plan's limit unless FACTCHECK_RATE_LIMIT says otherwise.
      rateLimit: v.FACTCHECK_RATE_LIMIT ?? [
        { limit: FACTCHECK_PLANS[v.FACTCHECK_PLAN].requestsPerMinute, windowMs: 60_000 },
      ],
    }),
    // The webhook's HMAC key, made up by the operator: at least 16 bytes, 32 or more without a warning.
    signingSecrets: ['FACTCHECK_WEBHOOK_SECRET'],
  },
);
type FactCheckSettings = NonNullable<ReturnType<typeof settings.parse>>;

/** Check: batch fact-checking; offset-paged lists and per-item results. */
export const factCheck: ProviderDefinition<FactCheckSettings, 'FACT_CHECK'> = {
  name: 'FACT_CHECK',
  displayName: 'Check',
  typeName: 'FactCheckBatch',
  capabilities: FACT_CHECK_CAPABILITIES,
  settings,
  secrets: ['FACTCHECK_API_KEY', 'FACTCHECK_WEBHOOK_SECRET'],
  writes: ['FACT_CHECK_SUBMIT', 'FACT_CHECK_UPLOAD'],
  schema: factCheckSchema(readSdl(new URL('./schema.graphql', import.meta.url))),
  createAdapter: (s, shared) =>
    createFactCheckAdapter(createFactCheckHttpClient({ ...shared, ...s }), FACTCHECK_PLANS[s.plan]),
  webhook: checkWebhook((s) => s.webhookSecret),
};
