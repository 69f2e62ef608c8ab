import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildAllSpikeAlarmRules,
  buildKpiAlarmRules,
  DEFAULT_SPIKE_ALARM_SETTINGS,
  type KpiAlarmRule,
  type SpikeAlarmRule,
  type SpikeAlarmSettings,
} from '../../../infra/alarm-rules.js';
import { readStackConfig } from '../../../infra/config.js';

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

/** The alarm settings and rules `cdk deploy` would deploy, and where they came from. */
export interface DeployedAlarmRules {
  readonly spikeAlarms: SpikeAlarmSettings;
  /** Every spike rule, the per-peer ones too (buildAllSpikeAlarmRules). */
  readonly spikeRules: SpikeAlarmRule[];
  /** The ISA and SER rules whose thresholds are set (none by default). */
  readonly kpiRules: KpiAlarmRule[];
  readonly from: string;
}

/**
 * The alarm rules `cdk deploy` would deploy: cdk.json's context read through infra/config.ts (the code `npm start`
 * and the CDK app use), so the report's thresholds are the deployed ones. Without a cdk.json beside the package, the
 * defaults of infra/alarm-rules.ts. An invalid cdk.json throws the ConfigError `cdk synth` would give.
 */
export const deployedAlarmRules = (): DeployedAlarmRules => {
  const root = packageRoot();
  const file = root === undefined ? undefined : join(root, 'cdk.json');
  if (file === undefined || !existsSync(file)) {
    return {
      spikeAlarms: DEFAULT_SPIKE_ALARM_SETTINGS,
      spikeRules: buildAllSpikeAlarmRules(DEFAULT_SPIKE_ALARM_SETTINGS, []),
      kpiRules: [],
      from: 'the default settings',
    };
  }
  const cdkJson = JSON.parse(readFileSync(file, 'utf8')) as { context?: Record<string, unknown> };
  const config = readStackConfig(cdkJson.context ?? {});
  return {
    spikeAlarms: config.spikeAlarms,
    spikeRules: buildAllSpikeAlarmRules(config.spikeAlarms, config.peerAlarms),
    kpiRules: buildKpiAlarmRules(config.kpiAlarms),
    from: 'cdk.json',
  };
};
