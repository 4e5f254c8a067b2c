import type { ProviderDefinition } from '../definition.js';
import { httpProviderSettings } from '../definition.js';
import { GAMEBALL_CAPABILITIES } from './capabilities.js';
import { createGameballAdapter } from './adapter.js';
import { createGameballHttpClient } from './client.js';

const settings = httpProviderSettings('GAMEBALL_BASE_URL', {
  apiKey: 'GAMEBALL_API_KEY',
  secretKey: 'GAMEBALL_SECRET_KEY',
});
type GameballSettings = NonNullable<ReturnType<typeof settings.parse>>;

/** Gameball: loyalty batch operations; read by id only (no list endpoint). */
export const gameball: ProviderDefinition<GameballSettings> = {
  name: 'GAMEBALL',
  typeName: 'GameballBatch',
  capabilities: GAMEBALL_CAPABILITIES,
  settings,
  secrets: ['GAMEBALL_API_KEY', 'GAMEBALL_SECRET_KEY'],
  createAdapter: (s, shared) => createGameballAdapter(createGameballHttpClient({ ...shared, ...s })),
};
