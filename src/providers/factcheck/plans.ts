/**
 * Check's plans and their documented limits (docs/providers.md, Check: "Limits by plan", rate limits,
 * and which plan each method needs). `FACTCHECK_PLAN` picks one; writes are checked against it before
 * any upstream call.
 */
export const FACTCHECK_PLANS = {
  free: { requestsPerMinute: 20, itemsPerBatch: 0, fileBytes: 0, contentChars: 50_000, rank: 0 },
  pro: { requestsPerMinute: 200, itemsPerBatch: 1_000, fileBytes: 10 * 1024 * 1024, contentChars: 50_000, rank: 1 },
  enterprise: {
    requestsPerMinute: 1_000,
    itemsPerBatch: 10_000,
    fileBytes: 100 * 1024 * 1024,
    contentChars: 50_000,
    rank: 2,
  },
} as const;

/** A Check plan name (`FACTCHECK_PLAN`). */
export type FactCheckPlan = keyof typeof FACTCHECK_PLANS;

/** One plan's limits. */
export type FactCheckPlanLimits = (typeof FACTCHECK_PLANS)[FactCheckPlan];

/** Check's verification methods and the lowest plan (by rank) that offers each. */
export const FACTCHECK_METHOD_PLAN: Readonly<Record<string, FactCheckPlan>> = {
  semantic: 'free',
  reasoning: 'free',
  tool: 'pro',
  biprm: 'pro',
  ensemble: 'pro',
  entropy: 'pro',
  formal: 'enterprise',
};
