import type { ProviderName } from '../domain/batch.js';
import type { WatchTarget } from './watch-target.js';

/**
 * Which poll loop a watch joins: one per provider, credential scope, detail level and batch, in
 * every process. Its name (`keyName`) is what the coordinator knows it by (its channel, last state
 * and lease) and what bulk-refresh announcements carry, so every replica spells it alike; nothing
 * takes a name apart again: code that needs a part reads it here.
 */
export interface WatchKey {
  readonly provider: ProviderName;
  readonly scope: string;
  /** How much a read brings: pending details, detail-only fields, or the plain batch. */
  readonly detail: 'details' | 'full' | 'plain';
  readonly providerBatchId: string;
  /** A background watch's own loop, at the background pace (`WatchTarget.background`). */
  readonly background?: true;
}

/** The detail levels a subscriber's watch may read at. */
export const DETAIL_LEVELS: readonly WatchKey['detail'][] = ['plain', 'full', 'details'];

/** The key of the loop that serves `target`. */
export function watchKey(target: WatchTarget): WatchKey {
  const detail: WatchKey['detail'] = target.includePendingDetails
    ? 'details'
    : target.includeDetailFields
      ? 'full'
      : 'plain';
  const key: WatchKey = {
    provider: target.provider,
    scope: target.scope,
    detail,
    providerBatchId: target.providerBatchId,
  };
  return target.background ? { ...key, background: true } : key;
}

/**
 * The key's name in the coordinator (shared by every replica: its spelling does not change; a background
 * watch's ends in `|bg`).
 */
export function keyName(key: WatchKey): string {
  return `${key.provider}|${key.scope}|${key.detail}|${key.providerBatchId}${key.background ? '|bg' : ''}`;
}

/** True when the key watches batch `providerBatchId` of `provider`, under whatever scope or detail level. */
export function watchesBatch(key: WatchKey, provider: ProviderName, providerBatchId: string): boolean {
  return key.provider === provider && key.providerBatchId === providerBatchId;
}

/** A bulk-refresh unit: the watched batches of one provider and credential (or tenant) scope, read through its list. */
export interface UnitKey {
  readonly provider: ProviderName;
  readonly scope: string;
  readonly tenant: string | undefined;
}

/** The unit that refreshes `target` (when its provider refreshes through its list). */
export function unitKey(target: WatchTarget): UnitKey {
  return { provider: target.provider, scope: target.scope, tenant: target.tenant };
}

/** The unit's name in the coordinator: its announced members are kept under it. */
export function unitName(unit: UnitKey): string {
  return `${unit.provider}|${unit.scope}|${unit.tenant ?? ''}`;
}

/** The name of the unit's lease (one process walks its list at a time). */
export function unitLeaseName(unit: UnitKey): string {
  return `bulk|${unitName(unit)}`;
}

/**
 * A member of a bulk-refresh unit as a process announces it to the others: the watch's key name and
 * its target. Read by every replica (`readAnnouncement`): its shape does not change.
 */
export function announcement(name: string, target: WatchTarget): string {
  return JSON.stringify({ key: name, target });
}

/** An announced member, or undefined when it cannot be read (its process announces it again). */
export function readAnnouncement(text: string): { name: string; target: WatchTarget } | undefined {
  try {
    const { key, target } = JSON.parse(text) as { key: unknown; target: WatchTarget | undefined };
    return typeof key === 'string' && target ? { name: key, target } : undefined;
  } catch {
    return undefined;
  }
}
