import type { GraphQLResolveInfo } from 'graphql';
import type { GraphQLContext } from '../context.js';
import type { WriteRequest } from '../../domain/writes.js';
import type { MutationResolvers } from '../__generated__/resolvers-types.js';
import { cancelBatch, finderOf, submitBatch } from '../mutations/batch-writes.js';
import { runWrite, type KeyedWrite } from '../mutations/run-write.js';

/**
 * A submit as `runWrite` runs it: `build` maps the input (a refusal there is a user error, sent nothing),
 * and where the provider keeps write markers, a retry of an unknown outcome can find the batch. Each
 * provider's submit mutations are `runWrite(ctx, info, args, submitting(ctx, info, () => toRequest(args)))`.
 */
export function submitting(
  ctx: GraphQLContext,
  info: GraphQLResolveInfo,
  build: () => WriteRequest,
): KeyedWrite<Awaited<ReturnType<typeof submitBatch>>> {
  return {
    send: (marker) => submitBatch(ctx, info, build(), marker),
    finder: () => finderOf(ctx, info, build()),
  };
}

/**
 * The core's write (docs/writes.md): cancel any provider's batch by global id, under the idempotency
 * rule and the write scope (`runWrite`). Each provider's submit mutations come with its definition.
 */
export const Mutation: Pick<MutationResolvers, 'cancelBatch'> = {
  cancelBatch: (_, args, ctx, info) => runWrite(ctx, info, args, { send: () => cancelBatch(ctx, info, args.id) }),
};
