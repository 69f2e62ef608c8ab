import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, readConfig } from '../../lambda/config.js';
import { FUNCTION_ENV } from '../../lambda/contract/index.js';
import { type Synthesized, synthesize } from './synth.js';

// The stack writes the function's environment, the function reads it at cold start (lambda/config.ts). This file
// takes the environment from the synthesized template of several deployments and passes it through that reader:
// a variable renamed, dropped or formatted differently on one side only fails here.

/** Variables the Lambda runtime and Powertools read, not our config reader. */
const RUNTIME_VARIABLES = ['NODE_OPTIONS', 'POWERTOOLS_SERVICE_NAME'];

/** The processing function's environment; CloudFormation references (the table name) become a fixed name. */
const functionEnvironment = (s: Synthesized): Record<string, string> => {
  const fns = Object.entries(s.template.findResources('AWS::Lambda::Function')).filter(([id]) =>
    id.includes('ProcessorFunction'),
  );
  if (fns.length !== 1) throw new Error(`expected one processor function, found ${fns.map(([id]) => id).join(', ')}`);
  const vars = (fns[0]?.[1].Properties?.Environment?.Variables ?? {}) as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(vars).map(([k, v]) => [k, typeof v === 'string' ? v : `ref:${JSON.stringify(v)}`]),
  );
};

/** The parts of a Config that are plain data (the peer map and the zones as what they hold). */
const plain = (c: Config): Record<string, unknown> => ({
  ...c,
  peers: c.peers?.names,
});

/** What the function reads with nothing but cdk.json's settings. */
const DEFAULT_CONFIG = {
  kpiMetrics: true,
  leaseSeconds: 900,
  ledgerTtlDays: 30,
  logTimeZones: { defaultZone: 'UTC', byPrefix: [] },
  metricDetail: 'class',
  metricsNamespace: 'SIP',
  objectConcurrency: 4,
  peers: undefined,
  publishConcurrency: 4,
  publishMaxAttempts: 6,
  publishTimeoutMs: 10_000,
  s3ForcePathStyle: false,
};

const CASES: readonly { name: string; overrides: Record<string, unknown>; expected: Record<string, unknown> }[] = [
  { name: 'the defaults of cdk.json', overrides: {}, expected: DEFAULT_CONFIG },
  {
    name: 'named peers with per-peer metrics',
    overrides: {
      'sipMetrics:peers': '{"carrier-a":["203.0.113.0/24"],"carrier-b":["198.51.100.7:5060"]}',
      'sipMetrics:peerMetrics': 'true',
      'sipMetrics:peerTopN': '3',
    },
    expected: {
      ...DEFAULT_CONFIG,
      peers: ['carrier-a', 'carrier-b'],
      peerMetrics: { names: ['carrier-a', 'carrier-b'], topN: 3 },
    },
  },
  {
    name: 'KPI metrics off, method detail, another namespace and ledger retention',
    overrides: {
      'sipMetrics:kpiMetrics': 'false',
      'sipMetrics:metricDetail': 'method',
      'sipMetrics:namespace': 'Acme/SIP',
      'sipMetrics:ledgerRetentionDays': '45',
      'sipMetrics:functionTimeoutSeconds': '300',
    },
    expected: {
      ...DEFAULT_CONFIG,
      kpiMetrics: false,
      metricDetail: 'method',
      metricsNamespace: 'Acme/SIP',
      ledgerTtlDays: 45,
      leaseSeconds: 300,
    },
  },
  {
    name: 'log time zones by key prefix',
    overrides: {
      'sipMetrics:logTimeZone': 'Europe/Berlin',
      'sipMetrics:logTimeZoneByPrefix': '{"pbx-ny/":"America/New_York","pbx-ny/lab/":"UTC"}',
    },
    expected: {
      ...DEFAULT_CONFIG,
      logTimeZones: {
        defaultZone: 'Europe/Berlin',
        byPrefix: [
          ['pbx-ny/lab/', 'UTC'],
          ['pbx-ny/', 'America/New_York'],
        ],
      },
    },
  },
];

describe.each(CASES)('the function environment of a stack with $name', ({ overrides, expected }) => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthesize(overrides);
  }, 60_000);
  afterAll(() => s.cleanup());

  it('holds only variables the function reads, named as the contract names them', () => {
    // Prepare, Act: synthesized in beforeAll
    const names = Object.keys(functionEnvironment(s)).sort();

    // Assess
    const known = new Set<string>([...Object.values(FUNCTION_ENV), ...RUNTIME_VARIABLES]);
    expect(names.filter((n) => !known.has(n))).toEqual([]);
    expect(names).toContain(FUNCTION_ENV.ledgerTable);
  });

  it("reads back through the function's own config reader as the deployment's settings", () => {
    // Prepare
    const env = functionEnvironment(s);

    // Act: the table name and the queue URL are CloudFormation references in the template; the deployed function
    // gets the table's name and the queue's URL
    const queueUrl = 'https://sqs.us-east-1.amazonaws.com/111122223333/SipMetrics-Queue';
    const config = readConfig({
      ...env,
      [FUNCTION_ENV.ledgerTable]: 'ledger-table',
      [FUNCTION_ENV.retryQueueUrl]: queueUrl,
    });

    // Assess
    expect(env[FUNCTION_ENV.ledgerTable]).toMatch(/^ref:\{"Ref":"\w+"\}$/);
    expect(env[FUNCTION_ENV.retryQueueUrl]).toMatch(/^ref:\{"Ref":"\w*Queue\w+"\}$/);
    expect(plain(config)).toEqual({ ...expected, ledgerTable: 'ledger-table', retryQueueUrl: queueUrl });
  });
});
