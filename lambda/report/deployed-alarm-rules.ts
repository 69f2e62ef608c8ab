import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSpikeAlarmRules, type SpikeAlarmRule } from '../../infra/alarm-rules.js';
import { readStackConfig } from '../../infra/config.js';

/** The repository root: the nearest folder above this module holding a package.json (from src/ or dist/). */
const packageRoot = (): string | undefined => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
  return dir;
};

/**
 * The spike alarm rules `cdk deploy` would deploy: cdk.json's context read through infra/config.ts (the code `npm
 * start` and the CDK app use), so the report's thresholds are the deployed ones. Without a cdk.json beside the
 * package, the defaults of infra/alarm-rules.ts. An invalid cdk.json throws the ConfigError `cdk synth` would give.
 */
export const deployedSpikeAlarmRules = (): { rules: SpikeAlarmRule[]; from: string } => {
  const root = packageRoot();
  const file = root === undefined ? undefined : join(root, 'cdk.json');
  if (file === undefined || !existsSync(file)) return { rules: buildSpikeAlarmRules(), from: 'the default settings' };
  const cdkJson = JSON.parse(readFileSync(file, 'utf8')) as { context?: Record<string, unknown> };
  return { rules: buildSpikeAlarmRules(readStackConfig(cdkJson.context ?? {}).spikeAlarms), from: 'cdk.json' };
};
