/**
 * An ngrep -t trace of a proxy's INVITEs to three peers over a few hours, with a 5xx spike from one carrier and a
 * short 6xx burst from another: a picture worth drawing (the shared corpus files each span one minute). Every count
 * the report should show is returned beside the text, computed here from what was written, not by the engine.
 */
import { ngrepPacket } from './log-formats.js';

const MS_PER_MINUTE = 60_000;
const PROXY = '10.0.0.1';

/** The senders of the responses, by role. */
export const SPIKE_PEERS = { carrierA: '203.0.113.5', carrierB: '198.51.100.7', pbx: '192.0.2.10' } as const;

/** What a spike trace holds. */
export interface SpikeTrace {
  readonly text: string;
  readonly responses: number;
  readonly byClass: Record<'1xx' | '2xx' | '3xx' | '4xx' | '5xx' | '6xx', number>;
  readonly byCode: Record<string, number>;
  /** Responses per peer IP. */
  readonly byPeer: Record<string, number>;
  /** Minutes (from the start) whose 5xx share is above 5 % with at least 100 responses. */
  readonly minutesAbove5xx: readonly number[];
  readonly minutesAbove6xx: readonly number[];
}

/** ngrep -t prints "YYYY/MM/DD hh:mm:ss.uuuuuu" (UTC here). */
const ngrepTime = (ms: number): string => {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10).replaceAll('-', '/')} ${iso.slice(11, 23)}000`;
};

const invite = (n: number, peer: string): string =>
  [
    `INVITE sip:bob@${peer} SIP/2.0`,
    `Via: SIP/2.0/UDP ${PROXY}:5060;branch=z9hG4bK-sp${n}`,
    `From: <sip:alice@${PROXY}>;tag=a${n}`,
    `To: <sip:bob@${peer}>`,
    `Call-ID: spike-${n}@${PROXY}`,
    'CSeq: 1 INVITE',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');

const response = (n: number, peer: string, code: number, reason: string): string =>
  [
    `SIP/2.0 ${code} ${reason}`,
    `Via: SIP/2.0/UDP ${PROXY}:5060;branch=z9hG4bK-sp${n}`,
    `From: <sip:alice@${PROXY}>;tag=a${n}`,
    `To: <sip:bob@${peer}>;tag=b${n}`,
    `Call-ID: spike-${n}@${PROXY}`,
    'CSeq: 1 INVITE',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');

const REASONS: Readonly<Record<number, string>> = {
  200: 'OK',
  486: 'Busy Here',
  503: 'Service Unavailable',
  603: 'Decline',
};

/**
 * `minutes` minutes from `startMs`; each minute 100 to 139 INVITEs (a fixed pattern), one final response each.
 * From `spike5xx[0]` to `spike5xx[1]` (minutes, inclusive) carrier A answers a third of its INVITEs with 503; in the
 * minutes of `burst6xx` carrier B declines half of its INVITEs with 603. Otherwise 200, and every 9th a 486.
 */
export const spikeTrace = (
  startMs: number,
  minutes: number,
  spike5xx: readonly [number, number],
  burst6xx: readonly number[],
): SpikeTrace => {
  const parts: string[] = [];
  const byClass = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, '6xx': 0 };
  const byCode: Record<string, number> = {};
  const byPeer: Record<string, number> = {};
  const minutesAbove5xx: number[] = [];
  const minutesAbove6xx: number[] = [];
  const peers = [SPIKE_PEERS.carrierA, SPIKE_PEERS.carrierB, SPIKE_PEERS.pbx];
  let n = 0;
  for (let m = 0; m < minutes; m++) {
    const calls = 100 + ((m * 7) % 40);
    const counts = { total: 0, c5: 0, c6: 0 };
    for (let i = 0; i < calls; i++) {
      const peer = peers[i % 3] as string;
      const t = startMs + m * MS_PER_MINUTE + Math.floor((i * MS_PER_MINUTE) / calls);
      let code = i % 9 === 8 ? 486 : 200;
      if (peer === SPIKE_PEERS.carrierA && m >= spike5xx[0] && m <= spike5xx[1] && i % 9 !== 8 && i % 2 === 0)
        code = 503;
      if (peer === SPIKE_PEERS.carrierB && burst6xx.includes(m) && i % 2 === 1) code = 603;
      parts.push(ngrepPacket('U', `${PROXY}:5060`, `${peer}:5060`, invite(n, peer), ngrepTime(t)));
      parts.push(
        ngrepPacket(
          'U',
          `${peer}:5060`,
          `${PROXY}:5060`,
          response(n, peer, code, REASONS[code] ?? ''),
          ngrepTime(t + 40),
        ),
      );
      n++;
      const cls = `${String(code)[0]}xx` as keyof typeof byClass;
      byClass[cls]++;
      byCode[code] = (byCode[code] ?? 0) + 1;
      byPeer[peer] = (byPeer[peer] ?? 0) + 1;
      counts.total++;
      if (cls === '5xx') counts.c5++;
      if (cls === '6xx') counts.c6++;
    }
    if (counts.total >= 100 && (100 * counts.c5) / counts.total > 5) minutesAbove5xx.push(m);
    if (counts.total >= 100 && (100 * counts.c6) / counts.total > 2) minutesAbove6xx.push(m);
  }
  return {
    text: `interface: any\nfilter: ( port 5060 )\n${parts.join('')}`,
    responses: n,
    byClass,
    byCode,
    byPeer,
    minutesAbove5xx,
    minutesAbove6xx,
  };
};

/**
 * The spike and burst rows of a spike trace's alarm table (name, state, breaching of the last 68, breaching
 * minutes, state changes), as the HTML report and the live page both show them for the trace starting at `startMs`.
 * ALARM once the third breaching minute (93) has ended; OK again once only two of the eleven are left among the
 * last 68 minutes (167); the 6xx burst is 2 minutes, never 3.
 */
export const spikeTraceAlarmRows = (startMs: number): string[][] => {
  const hm = (m: number): string => new Date(startMs + m * MS_PER_MINUTE).toISOString().slice(0, 16).replace('T', ' ');
  return [
    [
      'ServerErrorSpike',
      'OK',
      '0 of 68',
      '11',
      `${hm(0)} INSUFFICIENT_DATA → OK${hm(93)} OK → ALARM${hm(167)} ALARM → OK`,
    ],
    ['GlobalFailureSpike', 'OK', '0 of 68', '2', `${hm(0)} INSUFFICIENT_DATA → OK`],
    // no minute of this trace has 10 % 5xx (5 % 6xx) of at least 200 responses
    ['ServerErrorBurst', 'OK', '0 of 68', '0', `${hm(0)} INSUFFICIENT_DATA → OK`],
    ['GlobalFailureBurst', 'OK', '0 of 68', '0', `${hm(0)} INSUFFICIENT_DATA → OK`],
  ];
};
