import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/local-stack.js';
import type { ClassTotals } from '../../local/loopback-cloudwatch.js';
import { NO_PAINT, renderSummary } from '../../local/screen.js';
import { cdkConfig, finished, waitFor } from '../support/local-stack-waits.js';
import { ngrepPacket } from '../support/log-formats.js';
import { response } from '../support/sip-samples.js';

const MS_PER_MINUTE = 60_000;
const CARRIER = '203.0.113.9:5060';
const PBX = '198.51.100.20:5060';
const PROXY = '192.0.2.1:5060';

/** ngrep -t's timestamp: `YYYY/MM/DD hh:mm:ss.uuuuuu` (UTC here). */
const ngrepTime = (ms: number): string =>
  `${new Date(ms).toISOString().slice(0, 23).replaceAll('-', '/').replace('T', ' ')}000`;

/**
 * An ngrep -t trace of 10 minutes: per minute a carrier trunk sends our proxy 120 responses and a PBX 400 × 200. In
 * minutes 6, 7 and 8, 12 of the carrier's are 503 (10 % of its responses, above the 5 % threshold, with ≥ 100
 * responses), which is 2.3 % of all responses: only the carrier's own alarm may fire.
 */
const trace = (startMs: number): { text: string; carrier: ClassTotals; pbx: ClassTotals } => {
  const parts = ['interface: any\nfilter: port 5060\n'];
  const carrier: ClassTotals = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, '6xx': 0 };
  const pbx: ClassTotals = { ...carrier };
  let n = 0;
  for (let m = 0; m < 10; m++) {
    for (let i = 0; i < 520; i++) {
      const fromCarrier = i < 120;
      const code = fromCarrier && [6, 7, 8].includes(m) && i < 12 ? 503 : 200;
      const msg = response(code, code === 503 ? 'Service Unavailable' : 'OK', '1 OPTIONS', `peer-${n++}@192.0.2.1`);
      parts.push(
        ngrepPacket('U', fromCarrier ? CARRIER : PBX, PROXY, msg, ngrepTime(startMs + m * MS_PER_MINUTE + i * 100)),
      );
      const totals = fromCarrier ? carrier : pbx;
      totals[code === 503 ? '5xx' : '2xx']++;
    }
  }
  return { text: parts.join(''), carrier, pbx };
};

describe('npm start with per-peer metrics and alarms', () => {
  const root = mkdtempSync(join(tmpdir(), 'sip-metrics-peers-'));
  const dropDir = join(root, 'drop');
  let stack: LocalStack;

  beforeAll(async () => {
    const config = cdkConfig({
      'sipMetrics:peers': { 'carrier-a': ['203.0.113.0/24'] },
      'sipMetrics:peerMetrics': true,
      'sipMetrics:peerAlarms': ['carrier-a'],
    });
    stack = await startLocalStack({
      dataDir: join(root, 'data'),
      dropDir,
      ports: { s3: 0, dynamoDb: 0, cloudWatch: 0 },
      config,
    });
  });

  afterAll(async () => {
    await stack.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it("shows the carrier first among the top peers and fires only the carrier's 5xx alarm", async () => {
    // Prepare: 100 minutes ago, so the minutes are inside CloudWatch's window and the alarms settle on them
    const start = Math.floor(Date.now() / MS_PER_MINUTE) * MS_PER_MINUTE - 100 * MS_PER_MINUTE;
    const t = trace(start);

    // Act
    writeFileSync(join(dropDir, 'trunks.ngrep.txt'), t.text);
    await waitFor('the trace', finished(stack, ['logs/trunks.ngrep.txt']), 30_000);
    const snap = stack.snapshot();

    // Assess
    expect(t.carrier).toEqual({ '1xx': 0, '2xx': 1164, '3xx': 0, '4xx': 0, '5xx': 36, '6xx': 0 });
    expect(snap.peers.map((p) => [p.peer, p.responses, p.totals])).toEqual([
      ['carrier-a', 1200, t.carrier],
      ['198.51.100.20', 4000, t.pbx],
    ]);
    expect(snap.judgement.alarms.map((a) => [a.rule.id, a.evaluation.state, a.evaluation.breachingPeriods])).toEqual([
      ['ServerErrorSpike', 'OK', 0],
      ['GlobalFailureSpike', 'OK', 0],
      ['ServerErrorBurst', 'OK', 0],
      ['GlobalFailureBurst', 'OK', 0],
      ['ServerErrorSpike-carrier-a', 'ALARM', 3],
      ['GlobalFailureSpike-carrier-a', 'OK', 0],
    ]);
    const summary = renderSummary(snap, NO_PAINT).split('\n');
    const peersAt = summary.findIndex((l) => l.startsWith('Top peers by 5xx+6xx'));
    expect(peersAt).toBeGreaterThan(0);
    expect(summary.slice(peersAt + 1, peersAt + 3).map((l) => l.trim().split(/\s+/))).toEqual([
      ['carrier-a', '0', '1,164', '0', '0', '36', '0', '1,200', '3.0', '%', '0.0', '%'],
      ['198.51.100.20', '0', '4,000', '0', '0', '0', '0', '4,000', '0.0', '%', '0.0', '%'],
    ]);
    expect(summary.some((l) => /ServerErrorSpike-carrier-a\s+ALARM/.test(l))).toBe(true);
  });
});
