import { FACTCHECK_PLANS, type FactCheckPlanLimits } from '../plans.js';

/** Check's plans (docs/providers.md: Free, Pro, Enterprise), plus `unlimited` for tests and benches. */
export type FactCheckPlan = keyof typeof FACTCHECK_PLANS | 'unlimited';

/**
 * The plans the simulator enforces: Check's own (the provider's `FACTCHECK_PLANS`, the one copy of their
 * figures), and `unlimited`, Enterprise's limits at 1,000,000 requests a minute.
 */
export const FACT_CHECK_SIM_PLANS: Readonly<Record<FactCheckPlan, FactCheckPlanLimits>> = {
  ...FACTCHECK_PLANS,
  unlimited: { ...FACTCHECK_PLANS.enterprise, requestsPerMinute: 1_000_000 },
};
