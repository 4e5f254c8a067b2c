/** One Check plan's documented limits. */
export interface FactCheckPlanLimits {
  requestsPerMinute: number;
  /** Items one batch may hold (0: the plan has no batches). */
  itemsPerBatch: number;
  /** The largest upload (0: none). */
  fileBytes: number;
  /** Characters of one item's content. */
  contentChars: number;
  /** Verifications a month. */
  verificationsPerMonth: number;
  /** How long an uploaded file may be used. */
  fileTtlMs: number;
  /** The plan's order: a method needs a plan of at least its rank (`FACTCHECK_METHOD_PLAN`). */
  rank: number;
}

/**
 * Check's plans and their documented limits (docs/providers.md, Check: "Limits by plan", rate limits,
 * and which plan each method needs): the only copy of these figures (the simulator simulates them, and the
 * configuration reference quotes them). `FACTCHECK_PLAN` picks one; writes are checked against it before
 * any upstream call.
 */
export const FACTCHECK_PLANS = {
  free: {
    requestsPerMinute: 20,
    itemsPerBatch: 0,
    fileBytes: 0,
    contentChars: 50_000,
    verificationsPerMonth: 1_000,
    fileTtlMs: 0,
    rank: 0,
  },
  pro: {
    requestsPerMinute: 200,
    itemsPerBatch: 1_000,
    fileBytes: 10 * 1024 * 1024,
    contentChars: 50_000,
    verificationsPerMonth: 25_000,
    fileTtlMs: 3_600_000,
    rank: 1,
  },
  enterprise: {
    requestsPerMinute: 1_000,
    itemsPerBatch: 10_000,
    fileBytes: 100 * 1024 * 1024,
    contentChars: 50_000,
    verificationsPerMonth: Number.POSITIVE_INFINITY,
    fileTtlMs: 86_400_000,
    rank: 2,
  },
} as const satisfies Readonly<Record<string, FactCheckPlanLimits>>;

/** A Check plan name (`FACTCHECK_PLAN`). */
export type FactCheckPlan = keyof typeof FACTCHECK_PLANS;

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

/**
 * Check's documented defaults of a batch's decision thresholds (`options.acceptThreshold`,
 * `options.escalateThreshold`): an item at or above the first is accepted, at or above the second escalated.
 */
export const FACTCHECK_DECISION_DEFAULTS = { acceptThreshold: 0.95, escalateThreshold: 0.5 } as const;
