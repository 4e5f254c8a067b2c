/**
 * Vitest setup (every test file): this worker's own `DATA_DIR`, inherited by the gateways a test spawns as
 * processes (`spawnGateway` passes `process.env` on). Gateways started in-process get a fresh one each from
 * their environment (`freshDataDir`).
 */
import { freshDataDir } from '../helpers/data-dir.js';

process.env.DATA_DIR = freshDataDir();
