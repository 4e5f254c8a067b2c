import type { Batch, HealthVerdict } from '../../domain/batch.js';
import type { GraphQLContext } from '../context.js';
import { keyOf } from './history.js';

/** Each request's verdicts by batch object: the three health fields ask once. */
const asked = new WeakMap<GraphQLContext, WeakMap<Batch, Promise<HealthVerdict>>>();

const notRunning: HealthVerdict = { health: 'OK', healthSince: null, healthReason: null };

/**
 * A batch's health (docs/live-progress.md, "Batch health"): the verdict a state carries (a subscription's, judged
 * by the watch that polls it); else `OK` when it is not RUNNING; else what the ledger says (`Ledger.health`: its
 * stored judgment while current, else `UNKNOWN`), and `UNKNOWN` when there is no ledger to ask.
 */
async function judge(batch: Batch, ctx: GraphQLContext): Promise<HealthVerdict> {
  if (batch.health)
    return { health: batch.health, healthSince: batch.healthSince ?? null, healthReason: batch.healthReason ?? null };
  if (batch.status !== 'RUNNING') return notRunning;
  const ledger = ctx.gateway.ledger?.ledger;
  if (ledger) return ledger.health(keyOf(ctx, batch), batch.status);
  return {
    health: 'UNKNOWN',
    healthSince: null,
    healthReason: 'without the ledger (LEDGER=off) only a subscription carries health',
  };
}

function verdict(batch: Batch, ctx: GraphQLContext): Promise<HealthVerdict> {
  let mine = asked.get(ctx);
  if (!mine) asked.set(ctx, (mine = new WeakMap()));
  let answer = mine.get(batch);
  if (!answer) mine.set(batch, (answer = judge(batch, ctx)));
  return answer;
}

/** The health fields every provider's batch type has (`Batch.ts` adds them to each). */
export const healthFields = {
  health: async (batch: Batch, _: unknown, ctx: GraphQLContext) => (await verdict(batch, ctx)).health,
  healthSince: async (batch: Batch, _: unknown, ctx: GraphQLContext) => (await verdict(batch, ctx)).healthSince,
  healthReason: async (batch: Batch, _: unknown, ctx: GraphQLContext) => (await verdict(batch, ctx)).healthReason,
};
