/**
 * The providers batchql fronts; values equal the GraphQL `BatchProvider` enum (each provider's SDL adds its
 * value). This leaf and the list (`providers/index.ts`) are the only places that name providers: the core
 * imports the union from here and learns everything else from the definitions.
 */
export type ProviderName = 'REACH' | 'GAMEBALL' | 'FACT_CHECK';
