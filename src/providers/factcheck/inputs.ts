import { invalidInput } from '../../domain/errors.js';
import type { SubmitFactCheckBatchInput } from '../../graphql/__generated__/resolvers-types.js';
import { compact } from '../../graphql/mutations/inputs.js';
import type { FactCheckSubmit, FactCheckUpload } from './model.js';

/** `submitFactCheckBatch`'s input as Check's request (methods by their wire names). */
export function toFactCheckSubmit(input: SubmitFactCheckBatchInput): FactCheckSubmit {
  const methods: Record<string, number> = {};
  for (const [i, m] of (input.methods ?? []).entries()) {
    const name = m.method.toLowerCase();
    if (name in methods)
      throw invalidInput([{ field: ['input', 'methods', String(i)], message: `method ${m.method} is given twice` }]);
    methods[name] = m.weight;
  }
  return {
    kind: 'FACT_CHECK_SUBMIT',
    ...compact({ name: input.name, fileId: input.fileId, context: input.context }),
    ...(input.items
      ? {
          items: input.items.map((item) =>
            compact({ content: item.content, idempotencyKey: item.idempotencyKey, context: item.context }),
          ) as FactCheckSubmit['items'],
        }
      : {}),
    ...(input.methods ? { methods } : {}),
    ...(input.options ? { options: compact(input.options) } : {}),
  };
}

/** `uploadFactCheckFile`'s file. */
export function toFactCheckUpload(file: File): FactCheckUpload {
  return {
    kind: 'FACT_CHECK_UPLOAD',
    file,
    fileName: file.name || 'upload',
    ...(file.type ? { contentType: file.type } : {}),
  };
}
