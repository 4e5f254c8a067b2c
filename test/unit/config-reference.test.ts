import { describe, expect, it } from 'vitest';
import { knownVariables, SETTINGS_FRAGMENTS } from '../../src/config.js';
import { PROVIDER_DEFINITIONS } from '../../src/providers/index.js';
import { configReference, variablesReference } from '../../scripts/config-reference.js';

/**
 * The configuration reference (docs/configuration.md) is generated from the settings fragments
 * (`scripts/check-generated.ts` fails when the file is stale): here, that every variable and every fragment
 * says what the reference needs.
 */
const FRAGMENTS = [...SETTINGS_FRAGMENTS, ...PROVIDER_DEFINITIONS.map((d) => d.settings)];

describe('the configuration reference', () => {
  it('gives every variable a meaning', () => {
    const undescribed = FRAGMENTS.flatMap(variablesReference)
      .filter((v) => !v.meaning)
      .map((v) => v.name);
    expect(undescribed).toEqual([]);
  });

  it('lists every variable the gateway reads, once', () => {
    const reference = configReference(PROVIDER_DEFINITIONS);
    const listed = [...reference.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
    expect([...listed].sort()).toEqual([...knownVariables()].sort());
  });

  it('gives every fragment of the gateway a title, and every rule its text', () => {
    for (const f of SETTINGS_FRAGMENTS) expect(f.meta()?.title).toBeTruthy();
    for (const f of FRAGMENTS) for (const rule of f.meta()?.rules ?? []) expect(rule).toMatch(/`[A-Z_]+`.*\.$/);
  });
});
