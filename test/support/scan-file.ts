/**
 * `node --import tsx test/support/scan-file.ts FILE`: scans FILE with the engine alone, read as the CLI reads it, and
 * prints its response count; a child process for tests that look at the process itself (V8's heap, its flags).
 */
import { FileChunks } from '../../lambda/cli/file-source.js';
import { scan } from '../../lambda/engine/index.js';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: scan-file.ts FILE');
const r = await scan(new FileChunks(file));
process.stdout.write(`${r.responses}\n`);
