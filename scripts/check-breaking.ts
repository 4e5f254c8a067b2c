/**
 * `npm run schema:breaking` (part of `npm test`): fails (exit 1) when the printed schema (`schema.graphql`) breaks
 * a client of the last released one (`schema.released.graphql`) and CHANGELOG.md's "Unreleased → Breaking"
 * section does not name the changed schema coordinate (e.g. `Query.foo`). A breaking change that is meant is
 * announced there; at release, `npm run schema:release` makes the printed schema the released one
 * (docs/schema.md, "Schema change control").
 */
import { readFileSync } from 'node:fs';
import { PRINTED_SCHEMA_FILE } from '../src/graphql/schema.js';
import { breakingChanges, RELEASED_SCHEMA_FILE, unannounced } from './breaking-changes.js';

const changes = await breakingChanges(
  readFileSync(RELEASED_SCHEMA_FILE, 'utf8'),
  readFileSync(PRINTED_SCHEMA_FILE, 'utf8'),
);
const missing = unannounced(changes, readFileSync('CHANGELOG.md', 'utf8'));
for (const change of changes)
  console.log(`${missing.includes(change) ? 'UNANNOUNCED' : 'announced'} ${change.coordinate}: ${change.message}`);
if (missing.length > 0) {
  console.error(
    `${missing.length} breaking schema change(s) since ${RELEASED_SCHEMA_FILE} are not named under ` +
      `CHANGELOG.md's "## Unreleased" → "### Breaking": ${missing.map((c) => c.coordinate).join(', ')}`,
  );
  process.exit(1);
}
console.log(`No unannounced breaking changes since ${RELEASED_SCHEMA_FILE} (${changes.length} announced).`);
