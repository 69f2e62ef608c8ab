import { describe, expect, it } from 'vitest';
import { scan } from '../../../lambda/engine/index.js';
import { JournalExportDecoder } from '../../../lambda/engine/journal-export.js';
import { JournalVerboseDecoder } from '../../../lambda/engine/journal-verbose.js';
import type { ScanResult } from '../../../lambda/engine/tally.js';
import { chunked, readFixture } from '../../support/collect.js';

/** journalctl -o export and -o verbose (lambda/engine/journal-export.ts, journal-verbose.ts), and -o json-pretty. */

const SIP_180 =
  'INFO: <script>: SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0';

/** An export field whose value holds control characters: its name, its length (64-bit LE), its bytes. */
const binaryField = (name: string, value: Buffer): Buffer => {
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(value.length));
  return Buffer.concat([Buffer.from(`${name}\n`, 'latin1'), size, value, Buffer.from('\n', 'latin1')]);
};

const EXPORT = Buffer.concat([
  Buffer.from('__CURSOR=s=1;i=1\n__REALTIME_TIMESTAMP=1796684536985048\nMESSAGE=Journal started\n\n', 'latin1'),
  Buffer.from('__CURSOR=s=1;i=2\n__REALTIME_TIMESTAMP=1796684540000001\n', 'latin1'),
  binaryField('MESSAGE', Buffer.from(SIP_180, 'latin1')),
  binaryField('SYSLOG_RAW', Buffer.from(`<134>Dec  8 00:02:20 kamailio[3196]: ${SIP_180}\n`, 'latin1')),
  Buffer.from('_PID=3196\n\n', 'latin1'),
]);

const VERBOSE = [
  'Tue 2026-12-08 00:02:16.985048 CET [s=28;i=1;b=cc;m=2a48dcf65;t=662133799b5d8;x=2e]',
  '    PRIORITY=6',
  '    MESSAGE=Journal started',
  '    _PID=3177',
  'Tue 2026-12-08 00:02:20.000001 CET [s=28;i=2;b=cc;m=2a48dcf66;t=66213379d3e01;x=2f]',
  `    MESSAGE=${SIP_180.replaceAll('\r\n', '\r\n            ')}`,
  `    SYSLOG_RAW=<134>Dec  8 00:02:20 kamailio[3196]: ${SIP_180.replaceAll('\r\n', '\r\n               ')}`,
  '    _PID=3196',
  '',
].join('\n');

/** What both give: each MESSAGE with the line ends journald trimmed put back, SYSLOG_RAW not read. */
const WANT = `Journal started\n${SIP_180}\n\r\n`;

const decodeExport = async (bytes: Buffer, cuts: number[]): Promise<Buffer> => {
  const out: Buffer[] = [];
  for await (const b of new JournalExportDecoder().rewrite(chunked(bytes, cuts))) out.push(b);
  return Buffer.concat(out);
};

const decodeVerbose = async (bytes: Buffer, cuts: number[]): Promise<Buffer> => {
  const out: Buffer[] = [];
  for await (const b of new JournalVerboseDecoder().rewrite(chunked(bytes, cuts))) out.push(b);
  return Buffer.concat(out);
};

const perMinute = (r: ScanResult): Record<string, Record<string, number>> =>
  Object.fromEntries(r.series.map((m) => [m.minute, m.byCode]));

describe('journalctl -o export and -o verbose', () => {
  it.each([
    ['export', EXPORT, decodeExport],
    ['verbose', Buffer.from(VERBOSE, 'latin1'), decodeVerbose],
  ] as const)('takes each MESSAGE out of -o %s, however the bytes are cut', async (_mode, bytes, decode) => {
    // Act: whole, and cut at every byte
    const whole = await decode(bytes, []);
    const cut = await Promise.all(Array.from({ length: bytes.length - 1 }, (_, i) => decode(bytes, [i + 1])));

    // Assess
    expect(whole.toString('latin1')).toBe(WANT);
    expect(cut.filter((b) => !b.equals(whole)).length).toBe(0);
  });

  it.each([
    ['export', EXPORT],
    ['verbose', Buffer.from(VERBOSE, 'latin1')],
  ])('counts the response of -o %s at its entry time (t= or __REALTIME_TIMESTAMP, UTC)', async (_mode, bytes) => {
    // Act
    const r = await scan(chunked(bytes, [50]));

    // Assess: 1796684540000001 µs is 2026-12-07T23:02:20Z, whatever zone journalctl printed
    expect([r.responses, r.byCode, r.anomalies]).toEqual([1, { '180': 1 }, {}]);
    expect(perMinute(r)).toEqual({ '2026-12-07T23:02:00.000Z': { '180': 1 } });
  });

  it('skips and reports an export value too long to hold, and reads the entries after it', async () => {
    // Prepare: a 5 MiB MESSAGE between two entries with a response each
    const entry = Buffer.concat([
      Buffer.from('__CURSOR=s=1\n__REALTIME_TIMESTAMP=1796684540000001\n', 'latin1'),
      binaryField('MESSAGE', Buffer.from(SIP_180, 'latin1')),
      Buffer.from('\n', 'latin1'),
    ]);
    const huge = Buffer.concat([
      Buffer.from('__CURSOR=s=2\n', 'latin1'),
      binaryField('MESSAGE', Buffer.alloc(5 * 1024 * 1024, 0x78)),
      Buffer.from('\n', 'latin1'),
    ]);
    const bytes = Buffer.concat([entry, huge, entry]);

    // Act
    const got = await Promise.all([[], [100, 1_000_000, 3_000_000]].map((cuts) => scan(chunked(bytes, cuts))));

    // Assess
    for (const r of got) expect([r.responses, r.anomalies]).toEqual([2, { 'message-too-large': 1 }]);
  });
});

describe('journalctl -o verbose: a message too long to hold', () => {
  it('skips and reports a MESSAGE over 4 MiB, however the bytes are cut, and reads the entries after it', async () => {
    // Prepare: an entry whose message is a 4.2 MiB line, between two entries with a response each
    const second = VERBOSE.indexOf('Tue ', 1);
    const [first, withSip] = [VERBOSE.slice(0, second), VERBOSE.slice(second)];
    const big = `${first.split('\n')[0]}\n    MESSAGE=${'x'.repeat(4.2 * 1024 * 1024)}\n    _PID=1\n`;
    const bytes = Buffer.from(first + withSip + big + withSip, 'latin1');

    // Act: whole, and in 64 KiB and 100,000-byte chunks (a line over 4 MiB reaches the rewriter in parts)
    const step = (n: number): number[] => Array.from({ length: Math.floor(bytes.length / n) }, (_, k) => (k + 1) * n);
    const got = await Promise.all([[], step(65536), step(100_000)].map((cuts) => scan(chunked(bytes, cuts))));

    // Assess: before, the message's first part, cut where the chunks fell, was passed on
    for (const r of got) expect([r.responses, r.anomalies]).toEqual([2, { 'message-too-large': 1 }]);
  });
});

describe('real journals (test/fixtures/journal/README.md, run J5)', () => {
  const truth = JSON.parse(readFixture('journal/kamailio-journal-j5.truth.json').toString('utf8')) as {
    responses: number;
    byCode: Record<string, number>;
    byMethod: Record<string, Record<string, number>>;
    responsesPerMinute: Record<string, Record<string, number>>;
  };

  it.each([
    ['export', 'journal-export'],
    ['verbose', 'journal-verbose'],
    ['json-pretty', 'json-objects'],
  ])('reads -o %s as tshark counted the wire, minute by minute', async (mode, format) => {
    // Prepare: before, UNKNOWN_FORMAT
    const log = readFixture(`journal/kamailio-journal-j5.${mode}.log.gz`);

    // Act
    const got = await Promise.all([[], [4099], [8191, 60001]].map((cuts) => scan(chunked(log, cuts))));

    // Assess
    for (const r of got) {
      expect([r.responses, r.byCode, r.byMethod, r.anomalies]).toEqual([
        truth.responses,
        truth.byCode,
        truth.byMethod,
        {},
      ]);
      expect(perMinute(r)).toEqual(truth.responsesPerMinute);
      expect(r.formats).toEqual(['gzip', format, 'kamailio-log']);
    }
  });
});
