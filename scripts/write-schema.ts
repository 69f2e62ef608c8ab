/**
 * `npm run schema`: writes the JSON Schema of `sip-metrics scan --json` lines, generated from the zod schema in
 * lambda/cli/report/scan-result-schema.ts, to schema/scan-result.schema.json (checked in and shipped, so consumers in
 * any language can validate the output). test/unit/cli/report/scan-result-schema.test.ts fails while the file is stale.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scanResultJsonSchema } from '../lambda/cli/report/scan-result-schema.js';

const target = fileURLToPath(new URL('../schema/scan-result.schema.json', import.meta.url));
await mkdir(dirname(target), { recursive: true });
await writeFile(target, JSON.stringify(scanResultJsonSchema()));
// laid out by the project's formatter, so that `biome ci` accepts the checked-in file as written
execFileSync('npx', ['biome', 'format', '--write', target], { stdio: 'inherit' });
process.stdout.write(`wrote ${target}\n`);
