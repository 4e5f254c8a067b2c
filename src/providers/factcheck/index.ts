import type { ProviderDefinition } from '../definition.js';
import { env } from '../../config/settings.js';
import { httpProviderSettings, rateLimitVariable, readSdl } from '../definition.js';
import { FACT_CHECK_CAPABILITIES } from './capabilities.js';
import { createFactCheckAdapter } from './adapter.js';
import { createFactCheckHttpClient } from './client.js';
import { checkWebhook } from './webhook.js';

import { FACTCHECK_PLANS, type FactCheckPlan, type FactCheckPlanLimits } from './plans.js';
import { formatRateLimit } from '../../upstream/budget/rate-limit.js';
import { factCheckSchema } from './resolvers.js';

/** The plan Check is on unless `FACTCHECK_PLAN` says otherwise. */
const DEFAULT_PLAN: FactCheckPlan = 'pro';
const plans = Object.entries(FACTCHECK_PLANS) as [FactCheckPlan, FactCheckPlanLimits][];
const MB = 1024 * 1024;
/** A plan's budget: its requests a minute. */
const planBudget = (plan: FactCheckPlanLimits) => [{ limit: plan.requestsPerMinute, windowMs: 60_000 }];

/** What `FACTCHECK_PLAN` means, with the plans' figures (`FACTCHECK_PLANS`, their only copy). */
const PLAN_MEANING = [
  `Check plan: ${plans.map(([name, p]) => `\`${name}\` (${p.requestsPerMinute} requests a minute)`).join(', ')}; `,
  "sets Check's budget, and the limits writes are checked against before any upstream call: items per batch ",
  `(${plans.map(([name, p]) => `${p.itemsPerBatch || 'none'} on ${name}`).join(', ')}), upload size `,
  `(${plans
    .filter(([, p]) => p.fileBytes > 0)
    .map(([name, p]) => `${p.fileBytes / MB} MB on ${name}`)
    .join(', ')}), the methods the plan offers`,
].join('');

const settings = httpProviderSettings(
  {
    name: 'FACTCHECK_BASE_URL',
    meaning:
      'Check server URL: `https://api.check.ai`, or the documented API base `https://api.check.ai/v1` ' +
      '(a trailing `/v1` is accepted)',
  },
  { apiKey: { name: 'FACTCHECK_API_KEY', meaning: '`vfy_…` key, sent as `Authorization: Bearer`' } },
  // With it, `POST /webhooks/check` accepts Check's signed batch events (./webhook.ts, served by src/webhooks/).
  {
    webhookSecret: {
      name: 'FACTCHECK_WEBHOOK_SECRET',
      unset: '— (no webhook route)',
      meaning:
        "Check's webhook signing secret: enables `POST /webhooks/check` " +
        '([live-progress.md](live-progress.md#check-webhooks)), e.g. `openssl rand -hex 32`; a secret like the API ' +
        'key (it also seeds the derived `CURSOR_SECRET`)',
    },
  },
  {
    shape: {
      FACTCHECK_PLAN: env
        .oneOf(
          plans.map(([name]) => name),
          DEFAULT_PLAN,
        )
        .describe(PLAN_MEANING),
      FACTCHECK_RATE_LIMIT: rateLimitVariable()
        .meta({
          fallback: `the plan's (\`${formatRateLimit(planBudget(FACTCHECK_PLANS[DEFAULT_PLAN]))}\` on ${DEFAULT_PLAN})`,
        })
        .describe("Check's request budget, overriding the plan's"),
    },
    build: (v) => ({
      plan: v.FACTCHECK_PLAN,
      // The plan's limit unless FACTCHECK_RATE_LIMIT says otherwise.
      rateLimit: v.FACTCHECK_RATE_LIMIT ?? planBudget(FACTCHECK_PLANS[v.FACTCHECK_PLAN]),
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
  capabilities: FACT_CHECK_CAPABILITIES,
  settings,
  secrets: ['FACTCHECK_API_KEY', 'FACTCHECK_WEBHOOK_SECRET'],
  writes: ['FACT_CHECK_SUBMIT', 'FACT_CHECK_UPLOAD'],
  schema: factCheckSchema(readSdl(new URL('./schema.graphql', import.meta.url))),
  createAdapter: (s, shared) =>
    createFactCheckAdapter(createFactCheckHttpClient({ ...shared, ...s }), FACTCHECK_PLANS[s.plan]),
  webhook: checkWebhook((s) => s.webhookSecret),
};
