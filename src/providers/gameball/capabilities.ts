import type { ProviderCapabilities } from '../../domain/provider.js';

/** What GAMEBALL can do through this gateway (also shown while it is not configured). */
export const GAMEBALL_CAPABILITIES: ProviderCapabilities = {
  canList: false,
  canCancel: true,
  hasPendingDetails: false,
  pagination: null,
  tenantScoped: false,
  firstPageToken: null,
  listRank: 1,
};
