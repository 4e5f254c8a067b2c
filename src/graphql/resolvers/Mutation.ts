import type { ReachBatch } from '../../domain/batch.js';
import type { MutationResolvers } from '../__generated__/resolvers-types.js';
import { asPayload } from '../mutations/user-errors.js';
import { cancelBatch, submitBatch, uploadFile } from '../mutations/batch-writes.js';
import {
  toFactCheckSubmit,
  toFactCheckUpload,
  toGameballSubmit,
  toReachDelete,
  toReachPatch,
  toReachSubmit,
} from '../mutations/inputs.js';
import { runWrite } from '../mutations/run-write.js';

/**
 * The writes (README, "Write operations"): each maps its input to a provider-neutral request, runs
 * under the idempotency rule and the write scope (`runWrite`), and answers a payload whose
 * `userErrors` hold the refusals the caller can act on.
 */
export const Mutation: MutationResolvers = {
  submitFactCheckBatch: (_, args, ctx, info) =>
    runWrite(ctx, info, args, () => asPayload(() => submitBatch(ctx, info, toFactCheckSubmit(args.input)))),
  uploadFactCheckFile: (_, args, ctx, info) =>
    runWrite(ctx, info, args, () => asPayload(() => uploadFile(ctx, toFactCheckUpload(args.file)))),
  submitGameballBatch: (_, args, ctx, info) =>
    runWrite(ctx, info, args, () => asPayload(() => submitBatch(ctx, info, toGameballSubmit(args.input)))),
  submitReachResources: (_, args, ctx, info) =>
    runWrite(ctx, info, args, () => asPayload(() => submitBatch(ctx, info, toReachSubmit(args.input)))),
  patchReachResources: (_, args, ctx, info) =>
    runWrite(ctx, info, args, () => asPayload(() => submitBatch(ctx, info, toReachPatch(args.input)))),
  deleteReachResources: (_, args, ctx, info) =>
    runWrite(ctx, info, args, () =>
      asPayload(async () => {
        const { batch, preview } = await submitBatch(ctx, info, toReachDelete(args.input));
        // Only Reach serves REACH_DELETE, so a batch here is a Reach batch.
        return { batch: batch as ReachBatch | null, preview: preview ?? null };
      }),
    ),
  cancelBatch: (_, args, ctx, info) =>
    runWrite(ctx, info, args, () => asPayload(() => cancelBatch(ctx, info, args.id))),
};
