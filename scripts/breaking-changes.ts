/**
 * Schema change control (issue 28): the breaking changes between the last released schema
 * (`schema.released.graphql`, copied from `schema.graphql` at release: `npm run schema:release`) and the printed
 * one, each named by its schema coordinate (`Query.foo`, `Query.foo(bar:)`, `BatchStatus.QUEUED`, `@directive`),
 * and which of them CHANGELOG.md's "Unreleased → Breaking" section does not name. graphql-js's
 * `findBreakingChanges` finds them (removed or retyped types, fields, arguments, enum values and directives,
 * required arguments and input fields added, interfaces dropped); `scripts/check-breaking.ts` is the check.
 */
import { BreakingChangeType, buildSchema, findBreakingChanges, type BreakingChange } from 'graphql';

/** The last released schema, beside `schema.graphql`. */
export const RELEASED_SCHEMA_FILE = 'schema.released.graphql';

/** One breaking change: the schema coordinate it is about, and graphql-js's words for it. */
export type SchemaChange = { coordinate: string; message: string };

const T = BreakingChangeType;
/** How each kind of change names what it is about, as `findBreakingChanges` words it (graphql 16). */
const COORDINATES: [types: string[], pattern: RegExp, coordinate: (m: RegExpMatchArray) => string][] = [
  [[T.TYPE_REMOVED], /^(\w+) was removed\./, (m) => m[1]!],
  [[T.TYPE_REMOVED], /^Standard scalar (\w+) was removed/, (m) => m[1]!],
  [[T.TYPE_CHANGED_KIND], /^(\w+) changed from/, (m) => m[1]!],
  [[T.TYPE_REMOVED_FROM_UNION], /^\w+ was removed from union type (\w+)\./, (m) => m[1]!],
  [[T.VALUE_REMOVED_FROM_ENUM], /^(\w+) was removed from enum type (\w+)\./, (m) => `${m[2]}.${m[1]}`],
  [[T.REQUIRED_INPUT_FIELD_ADDED], /^A required field (\w+) on input type (\w+) was added/, (m) => `${m[2]}.${m[1]}`],
  [[T.IMPLEMENTED_INTERFACE_REMOVED], /^(\w+) no longer implements interface/, (m) => m[1]!],
  [[T.FIELD_REMOVED, T.FIELD_CHANGED_KIND], /^(\w+)\.(\w+) (?:was removed|changed type)/, (m) => `${m[1]}.${m[2]}`],
  [[T.ARG_REMOVED, T.ARG_CHANGED_KIND], /^(\w+)\.(\w+) arg (\w+) /, (m) => `${m[1]}.${m[2]}(${m[3]}:)`],
  [[T.REQUIRED_ARG_ADDED], /^A required arg (\w+) on (\w+)\.(\w+) was added/, (m) => `${m[2]}.${m[3]}(${m[1]}:)`],
  [[T.DIRECTIVE_REMOVED], /^(\w+) was removed\./, (m) => `@${m[1]}`],
  [[T.DIRECTIVE_ARG_REMOVED], /^(\w+) was removed from (\w+)\./, (m) => `@${m[2]}(${m[1]}:)`],
  [[T.REQUIRED_DIRECTIVE_ARG_ADDED], /^A required arg (\w+) on directive (\w+)/, (m) => `@${m[2]}(${m[1]}:)`],
  [[T.DIRECTIVE_REPEATABLE_REMOVED], /^Repeatable flag was removed from (\w+)\./, (m) => `@${m[1]}`],
  [[T.DIRECTIVE_LOCATION_REMOVED], /^\w+ was removed from (\w+)\./, (m) => `@${m[1]}`],
];

/** The schema coordinate a breaking change is about (its first dotted name when the wording is unknown). */
function coordinateOf(change: BreakingChange): string {
  for (const [types, pattern, coordinate] of COORDINATES) {
    const m = types.includes(change.type) ? change.description.match(pattern) : null;
    if (m) return coordinate(m);
  }
  return change.description.match(/\w+(?:\.\w+)?/)?.[0] ?? change.description;
}

/** The breaking changes from the released SDL to the current one, by coordinate. */
export function breakingChanges(releasedSdl: string, currentSdl: string): SchemaChange[] {
  return findBreakingChanges(buildSchema(releasedSdl), buildSchema(currentSdl)).map((change) => ({
    coordinate: coordinateOf(change),
    message: change.description,
  }));
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
