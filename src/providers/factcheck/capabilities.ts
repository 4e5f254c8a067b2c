import type { ProviderCapabilities } from '../../domain/provider.js';

/** What FACT_CHECK can do through this gateway (also shown while it is not configured). */
export const FACT_CHECK_CAPABILITIES: ProviderCapabilities = {
  canList: true,
  canCancel: true,
  hasPendingDetails: false,
  pagination: 'OFFSET',
  tenantScoped: false,
  firstPageToken: 0,
  listRank: 2,
  // `GET /v1/batch?status=…&limit=100`: the filter's name and words are our assumption (docs/providers.md),
  // so the refresh reads each row's own status and never trusts that the filter was applied.
  bulkRefresh: {
    statuses: ['processing', 'validating', 'pending'],
    pageSize: 100,
    detailFields: [
      'errorMessage',
      'inputFormat',
      'originalFileName',
      'methods',
      'context',
      'totalInputTokens',
      'totalOutputTokens',
      'validationErrors',
      'expiresAt',
    ],
  },
};
