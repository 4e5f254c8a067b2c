// `pretest` and `predemo`: stops at once on a Node older than the project's (.nvmrc), rather than letting
// odd failures follow (node:sqlite, Disposable stacks, dependencies that need a newer Node).
import { readFileSync } from 'node:fs';

const wanted = Number(readFileSync(new URL('../.nvmrc', import.meta.url), 'utf8').trim());
const have = Number(process.versions.node.split('.')[0]);
if (have < wanted) {
  console.error(`Node ${wanted} needed (this is ${process.version}): source .ci/node.sh`);
  process.exit(1);
}
