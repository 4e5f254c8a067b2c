import { factCheckSimulator } from '../../providers/factcheck/simulator/definition.js';
import { gameballSimulator } from '../../providers/gameball/simulator/definition.js';
import { reachSimulator } from '../../providers/reach/simulator/definition.js';

/**
 * Every built-in simulator, one per production provider; each is defined in its provider's folder
 * (`src/providers/<name>/simulator/`). Adding a simulator is one line here.
 */
export const SIMULATOR_DEFINITIONS = [reachSimulator, gameballSimulator, factCheckSimulator] as const;

/** The simulators' keys (`reach`, `gameball`, `factCheck`). */
export type SimulatorKey = (typeof SIMULATOR_DEFINITIONS)[number]['key'];

/** Each simulator's credentials, by key. */
export type SimulatorCredentials = {
  [D in (typeof SIMULATOR_DEFINITIONS)[number] as D['key']]: Parameters<D['gatewayEnv']>[1];
};
