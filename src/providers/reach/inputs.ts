import { invalidInput } from '../../domain/errors.js';
import type {
  DeleteReachResourcesInput,
  PatchReachResourcesInput,
  SubmitReachResourcesInput,
} from '../../graphql/__generated__/resolvers-types.js';
import type { ReachDelete, ReachResourcesWrite } from './model.js';

function resources(list: unknown[], path: string): Record<string, unknown>[] {
  return list.map((r, i) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r))
      throw invalidInput([{ field: ['input', path, String(i)], message: 'each resource must be a JSON object' }]);
    return r as Record<string, unknown>;
  });
}

/** `submitReachResources`'s input. */
export function toReachSubmit(input: SubmitReachResourcesInput): ReachResourcesWrite {
  return {
    kind: 'REACH_SUBMIT',
    schema: input.schema,
    resources: resources(input.resources, 'resources'),
    ...(input.onConflict ? { onConflict: input.onConflict === 'REJECT' ? 'reject' : 'upsert' } : {}),
    ...(input.ignoreUnknownFields != null ? { ignoreUnknownFields: input.ignoreUnknownFields } : {}),
    ...(input.dependencyWaitTimeoutSeconds != null
      ? { dependencyWaitTimeout: input.dependencyWaitTimeoutSeconds }
      : {}),
  };
}

/** `patchReachResources`'s input. */
export function toReachPatch(input: PatchReachResourcesInput): ReachResourcesWrite {
  return {
    kind: 'REACH_PATCH',
    schema: input.schema,
    resources: resources(input.resources, 'resources'),
    ...(input.ignoreUnknownFields != null ? { ignoreUnknownFields: input.ignoreUnknownFields } : {}),
  };
}

/** `deleteReachResources`'s input. */
export function toReachDelete(input: DeleteReachResourcesInput): ReachDelete {
  return {
    kind: 'REACH_DELETE',
    schema: input.schema,
    externalIds: input.externalIds ?? [],
    cascade: input.cascade ?? false,
    deleteAll: input.deleteAll ?? false,
    dryRun: input.dryRun ?? false,
  };
}
