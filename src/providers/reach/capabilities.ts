import type { ProviderCapabilities } from '../../domain/provider.js';

/** What REACH can do through this gateway (also shown while it is not configured). */
export const REACH_CAPABILITIES: ProviderCapabilities = {
  canList: true,
  canCancel: false,
  hasPendingDetails: true,
  pendingDetailFields: ['pendingResources', 'pendingExpiresAt'],
  pagination: 'CURSOR',
  tenantScoped: true,
  firstPageToken: null,
  listRank: 0,
};
