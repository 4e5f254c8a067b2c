import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import type { ProviderCapabilities } from '../domain/provider.js';

/**
 * True when the provider has pending details and the operation selects one of the fields that need them
 * (`ProviderCapabilities.pendingDetailFields`), anywhere (through fragments too). Decided per operation, not
 * per field, so every load of the provider in one operation uses the same key and duplicate ids still cost one
 * upstream call.
 */
export function wantsPendingDetails(info: GraphQLResolveInfo, capabilities: ProviderCapabilities): boolean {
  return capabilities.hasPendingDetails && selectsAnyField(info, capabilities.pendingDetailFields ?? []);
}

const selected = new WeakMap<object, WeakMap<readonly string[], boolean>>();

/** True when the operation selects any of `fields` (by name, through fragments too), anywhere. */
export function selectsAnyField(info: GraphQLResolveInfo, fields: readonly string[]): boolean {
  let byFields = selected.get(info.operation);
  if (!byFields) selected.set(info.operation, (byFields = new WeakMap()));
  const known = byFields.get(fields);
  if (known !== undefined) return known;
  const names = new Set(fields);
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode | undefined): boolean => {
    for (const sel of set?.selections ?? []) {
      if (sel.kind === Kind.FIELD) {
        if (names.has(sel.name.value) || visit(sel.selectionSet)) return true;
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        if (visit(sel.selectionSet)) return true;
      } else if (!seen.has(sel.name.value)) {
        seen.add(sel.name.value);
        if (visit(info.fragments[sel.name.value]?.selectionSet)) return true;
      }
    }
    return false;
  };
  const result = visit(info.operation.selectionSet);
  byFields.set(fields, result);
  return result;
}
