import type { GraphQLResolveInfo } from 'graphql';
import type { GraphQLContext } from '../context.js';
import type { ReachBatch } from '../../domain/batch.js';
import type { WriteRequest } from '../../domain/writes.js';
import type { MutationResolvers } from '../__generated__/resolvers-types.js';
import { cancelBatch, finderOf, submitBatch, uploadFile } from '../mutations/batch-writes.js';
import {
  toFactCheckSubmit,
  toFactCheckUpload,
  toGameballSubmit,
  toReachDelete,
  toReachPatch,
  toReachSubmit,
} from '../mutations/inputs.js';
import { runWrite, type KeyedWrite } from '../mutations/run-write.js';

/**
 * A submit as `runWrite` runs it: `build` maps the input (a refusal there is a user error, sent nothing),
 * and where the provider keeps write markers, a retry of an unknown outcome can find the batch.
 */
function submitting(
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
 * The writes (README, "Write operations"): each maps its input to a provider-neutral request, runs under the
 * idempotency rule and the write scope (`runWrite`), and answers a payload whose `userErrors` hold the
 * refusals the caller can act on.
 */
export const Mutation: MutationResolvers = {
  submitFactCheckBatch: (_, args, ctx, info) =>
    runWrite(
      ctx,
      info,
      args,
      submitting(ctx, info, () => toFactCheckSubmit(args.input)),
    ),
  uploadFactCheckFile: (_, args, ctx, info) =>
    runWrite(ctx, info, args, { send: () => uploadFile(ctx, toFactCheckUpload(args.file)) }),
  submitGameballBatch: (_, args, ctx, info) =>
    runWrite(
      ctx,
      info,
      args,
      submitting(ctx, info, () => toGameballSubmit(args.input)),
    ),
  submitReachResources: (_, args, ctx, info) =>
    runWrite(
      ctx,
      info,
      args,
      submitting(ctx, info, () => toReachSubmit(args.input)),
    ),
  patchReachResources: (_, args, ctx, info) =>
    runWrite(
      ctx,
      info,
      args,
      submitting(ctx, info, () => toReachPatch(args.input)),
    ),
  deleteReachResources: (_, args, ctx, info) =>
    runWrite(ctx, info, args, {
      send: async (marker) => {
        const { batch, preview } = await submitBatch(ctx, info, toReachDelete(args.input), marker);
        // Only Reach serves REACH_DELETE, so a batch here is a Reach batch.
        return { batch: batch as ReachBatch | null, preview: preview ?? null };
      },
    }),
  cancelBatch: (_, args, ctx, info) => runWrite(ctx, info, args, { send: () => cancelBatch(ctx, info, args.id) }),
};
