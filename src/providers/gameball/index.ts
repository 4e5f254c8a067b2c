import type { ProviderDefinition } from '../definition.js';
import { httpProviderSettings, rateLimitVariable, readSdl } from '../definition.js';
import { GAMEBALL_CAPABILITIES } from './capabilities.js';
import { createGameballAdapter } from './adapter.js';
import { createGameballHttpClient } from './client.js';
import { gameballSchema } from './resolvers.js';

/** Gameball's documented limit for batch endpoints ("Others"): 30 per second and 360 per 30 s. */
const GAMEBALL_DOCUMENTED_LIMIT = [
  { limit: 30, windowMs: 1_000 },
  { limit: 360, windowMs: 30_000 },
];

const settings = httpProviderSettings(
  { name: 'GAMEBALL_BASE_URL', meaning: 'Gameball server URL, e.g. `https://api.gameball.co`' },
  {
    apiKey: { name: 'GAMEBALL_API_KEY', meaning: 'header `apikey`' },
    secretKey: { name: 'GAMEBALL_SECRET_KEY', meaning: 'header `secretkey` (every batch operation needs it)' },
  },
  {},
  {
    shape: {
      GAMEBALL_RATE_LIMIT: rateLimitVariable(GAMEBALL_DOCUMENTED_LIMIT).describe(
        "Gameball's request budget (the default is its documented limit for batch endpoints)",
      ),
    },
    build: (v) => ({ rateLimit: v.GAMEBALL_RATE_LIMIT }),
  },
);
type GameballSettings = NonNullable<ReturnType<typeof settings.parse>>;

/** Gameball: loyalty batch operations; read by id only (no list endpoint). */
export const gameball: ProviderDefinition<GameballSettings, 'GAMEBALL'> = {
  name: 'GAMEBALL',
  displayName: 'Gameball',
  capabilities: GAMEBALL_CAPABILITIES,
  settings,
  secrets: ['GAMEBALL_API_KEY', 'GAMEBALL_SECRET_KEY'],
  writes: ['GAMEBALL_SUBMIT'],
  schema: gameballSchema(readSdl(new URL('./schema.graphql', import.meta.url))),
  createAdapter: (s, shared) => createGameballAdapter(createGameballHttpClient({ ...shared, ...s })),
};
