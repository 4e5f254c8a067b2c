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
};
