import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A fresh, empty `DATA_DIR` (the ledger's folder) in the system's temporary folder: every gateway a test starts
 * gets its own, so no test sees another's batches and nothing is written into the repository.
 */
export function freshDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'batchql-data-'));
}
