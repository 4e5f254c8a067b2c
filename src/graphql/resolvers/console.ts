import { readFragment } from '../../config/settings.js';
import type { QueryResolvers } from '../__generated__/resolvers-types.js';
import { consoleSettings } from '../console-settings.js';

/** The settings of a gateway built without them (tests): the fragment's defaults. */
const DEFAULTS = readFragment(consoleSettings, {});

/** `Query.consoleSettings`. */
export const consoleQuery: Pick<QueryResolvers, 'consoleSettings'> = {
  consoleSettings: (_, __, ctx) => ctx.gateway.console ?? DEFAULTS,
};
