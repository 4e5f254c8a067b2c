/**
 * Schema change control (issue 28): the breaking changes between the last released schema
 * (`schema.released.graphql`, copied from `schema.graphql` at release: `npm run schema:release`) and the printed
 * one, each named by its schema coordinate (`Query.foo`, `Query.foo(bar:)`, `BatchStatus.QUEUED`, `@directive`),
 * and which of them CHANGELOG.md's "Unreleased → Breaking" section does not name. graphql-inspector's `diff`
 * finds them (its changes of criticality `BREAKING`: removed or retyped types, fields, arguments, enum values and
 * directives, required arguments and input fields added, interfaces dropped, …); `scripts/check-breaking.ts` is
 * the check.
 */
import { CriticalityLevel, diff, type Change } from '@graphql-inspector/core';
import { buildSchema } from 'graphql';

/** The last released schema, beside `schema.graphql`. */
export const RELEASED_SCHEMA_FILE = 'schema.released.graphql';

/** One breaking change: the schema coordinate it is about, and graphql-inspector's words for it. */
export type SchemaChange = { coordinate: string; message: string };

/**
 * The schema coordinate of a change: graphql-inspector's path with an argument written as one
 * (`Query.foo.bar` → `Query.foo(bar:)`, `@dir.arg` → `@dir(arg:)`).
 */
function coordinateOf(change: Change): string {
  const path = change.path ?? change.message;
  const parts = path.split('.');
  if (parts[0]!.startsWith('@') && parts.length === 2) return `${parts[0]}(${parts[1]}:)`;
  if (parts.length === 3) return `${parts[0]}.${parts[1]}(${parts[2]}:)`;
  return path;
}

/** The breaking changes from the released SDL to the current one, by coordinate. */
export async function breakingChanges(releasedSdl: string, currentSdl: string): Promise<SchemaChange[]> {
  const changes = await diff(buildSchema(releasedSdl), buildSchema(currentSdl));
  return changes
    .filter((change) => change.criticality.level === CriticalityLevel.Breaking)
    .map((change) => ({ coordinate: coordinateOf(change), message: change.message }));
}

/**
 * The text of CHANGELOG.md's "Unreleased → Breaking" section: under `## Unreleased`, from a heading whose title
 * starts with "Breaking" (`### Breaking`, `### Breaking changes`) to the next heading of its level or above.
 */
export function unreleasedBreaking(changelog: string): string {
  const lines = changelog.split('\n');
  const unreleased = lines.findIndex((l) => /^## Unreleased\b/.test(l));
  if (unreleased < 0) return '';
  const section: string[] = [];
  let level = 0;
  for (const line of lines.slice(unreleased + 1)) {
    const heading = line.match(/^(#+)\s+(.*)$/);
    if (heading && heading[1]!.length <= 2) break;
    if (heading && level > 0 && heading[1]!.length <= level) break;
    if (level > 0) section.push(line);
    else if (heading && /^Breaking\b/i.test(heading[2]!)) level = heading[1]!.length;
  }
  return section.join('\n');
}

/** The changes whose coordinate "Unreleased → Breaking" does not name (as a whole name, e.g. `Query.foo`). */
export function unannounced(changes: readonly SchemaChange[], changelog: string): SchemaChange[] {
  const breaking = unreleasedBreaking(changelog);
  return changes.filter((change) => {
    const escaped = change.coordinate.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return !new RegExp(`(?<![\\w.@])${escaped}(?![\\w.(])`).test(breaking);
  });
}
