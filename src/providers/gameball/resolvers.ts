import type { MutationResolvers } from '../../graphql/__generated__/resolvers-types.js';
import { runWrite } from '../../graphql/mutations/run-write.js';
import { submitting } from '../../graphql/resolvers/Mutation.js';
import type { ProviderSchema } from '../../graphql/served-provider.js';
import { writeCost } from '../../graphql/cost-table.js';
import { toGameballSubmit } from './inputs.js';

const Mutation: Pick<MutationResolvers, 'submitGameballBatch'> = {
  submitGameballBatch: (_, args, ctx, info) =>
    runWrite(
      ctx,
      info,
      args,
      submitting(ctx, info, () => toGameballSubmit(args.input)),
    ),
};

/** Gameball's part of the schema: its SDL (read by the definition), its submit and its cost. */
export function gameballSchema(typeDefs: string): ProviderSchema {
  // A submit is the write and one read-back.
  return { typeDefs, resolvers: { Mutation }, costs: { 'Mutation.submitGameballBatch': writeCost('GAMEBALL', 2) } };
}
