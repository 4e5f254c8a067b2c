import type { ProviderCapabilities } from '../../domain/provider.js';

/** The batch fields a list row (`GET /v1/batch`) does not carry: only the read by id has them. */
const LIST_ROW_LACKS = [
  'errorMessage',
  'inputFormat',
  'originalFileName',
  'methods',
  'context',
  'totalInputTokens',
  'totalOutputTokens',
  'validationErrors',
  'expiresAt',
] as const;

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
    detailFields: LIST_ROW_LACKS,
  },
  listRowLacks: LIST_ROW_LACKS,
};
