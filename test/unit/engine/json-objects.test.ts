import { describe, expect, it } from 'vitest';
import { scan } from '../../../lambda/engine/index.js';
import { isJsonObjects, JsonObjectsDecoder } from '../../../lambda/engine/json-objects.js';
import type { ScanResult } from '../../../lambda/engine/tally.js';
import { chunked, readFixture } from '../../support/collect.js';

/** JSON log records not one per line: pretty-printed, back to back, wrapped (lambda/engine/json-objects.ts). */

const perMinute = (r: ScanResult): Record<string, Record<string, number>> =>
  Object.fromEntries(r.series.map((m) => [m.minute, m.byCode]));

const decodeAll = async (bytes: Buffer, cuts: number[]): Promise<Buffer> => {
  const out: Buffer[] = [];
  for await (const b of new JsonObjectsDecoder().rewrite(chunked(bytes, cuts))) out.push(b);
  return Buffer.concat(out);
};

const SIP_486 =
  'SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n';

// every shape at once: a text line, a pretty record, back-to-back records with braces and escaped quotes in their
// strings, a top-level object that is no record, a wrapper of records, a record holding an object with a text field
const MIXED = [
  'WARNING: no fork mode \n',
  JSON.stringify({ MESSAGE: 'first {not an object}', __REALTIME_TIMESTAMP: '1796684536985048' }, null, '\t'),
  '\n',
  JSON.stringify({ level: 'INFO', message: 'quote \\" and } brace\n' }),
  JSON.stringify({ message: 'second\n' }),
  '\n',
  JSON.stringify({ nextToken: 'f/123' }),
  '\n',
  JSON.stringify({ events: [{ timestamp: 1796684536985, message: 'wrapped' }, { message: 'too' }] }, null, 2),
  '\n',
  JSON.stringify({ message: 'outer', error: { message: 'inner' } }),
  '\n',
].join('');

describe('JSON records not one per line (journalctl -o json-pretty, Kamailio json:N, wrappers)', () => {
  it('takes the text out of each record, the outermost winning, however the bytes are cut', async () => {
    // Prepare
    const bytes = Buffer.from(MIXED, 'utf8');
    const want = [
      'WARNING: no fork mode \n',
      'first {not an object}\n',
      'quote \\" and } brace\n',
      'second\n',
      '{"nextToken":"f/123"}\n',
      'wrapped\n',
      'too\n',
      'outer\n',
    ].join('');

    // Act: whole, and cut at every byte
    const whole = await decodeAll(bytes, []);
    const cut = await Promise.all(Array.from({ length: bytes.length - 1 }, (_, i) => decodeAll(bytes, [i + 1])));

    // Assess
    expect(whole.toString('utf8')).toBe(want);
    expect(cut.filter((b) => !b.equals(whole)).length).toBe(0);
  });

  it('passes on a record cut by the end of the input as it is, and the records before it', async () => {
    // Prepare
    const bytes = Buffer.from(`${JSON.stringify({ message: 'a' })}\n{"message": "cut`, 'utf8');

    // Act
    const got = await decodeAll(bytes, [5, 20]);

    // Assess
    expect(got.toString('utf8')).toBe('a\n{"message": "cut');
  });

  it('tells JSON records from a SIP log whose bodies hold JSON, and from JSON with no record', () => {
    // Prepare
    const body = '{"message":"hi there"}';
    const sipWithJson = `MESSAGE sip:a@b SIP/2.0\r\nCall-ID: c\r\nCSeq: 1 MESSAGE\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}\r\n`;
    const heads = [MIXED, sipWithJson, JSON.stringify({ a: [1, 2, { b: 'c' }] }, null, 2), '[1, 2, 3]\n'];

    // Act
    const verdicts = heads.map((h) => isJsonObjects(Buffer.from(h, 'utf8')));

    // Assess
    expect(verdicts).toEqual([true, false, false, false]);
  });

  it('leaves a SIP log whose JSON bodies are most of its bytes to the SIP readers (its start lines are between values)', async () => {
    // Prepare: four 200s with ~1.9 KB `{"message": ...}` bodies: the header lines are under a fifth of the head
    const body = JSON.stringify({ message: 'delivered', data: 'x'.repeat(1900) });
    const ok = (n: number): string =>
      `SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK${n}\r\nCall-ID: c${n}\r\nCSeq: 1 MESSAGE\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const log = Buffer.from([0, 1, 2, 3].map(ok).join(''), 'latin1');

    // Act
    const r = await scan(chunked(log, [1000]));

    // Assess: read as JSON records, each body became "delivered" and three 200s were lost (the review's case)
    expect([isJsonObjects(log), r.responses, r.byCode, r.anomalies, r.formats]).toEqual([
      false,
      4,
      { '200': 4 },
      {},
      ['sip'],
    ]);
  });

  it("counts CloudWatch Logs events as `aws logs filter-log-events` prints them, at each event's millisecond time", async () => {
    // Prepare: one SIP message logged as one event (a multi-line event), its CRLFs kept
    const events = {
      events: [
        { logStreamName: 'sbc', timestamp: 1796684536985, message: SIP_486, ingestionTime: 1796684537000 },
        { logStreamName: 'sbc', timestamp: 1796684600001, message: SIP_486.replace('CSeq: 1', 'CSeq: 2') },
      ],
      searchedLogStreams: [],
    };

    // Act
    const r = await scan(chunked(Buffer.from(JSON.stringify(events, null, 4), 'utf8'), [100]));

    // Assess: 1796684536985 ms is 2026-12-07T23:02:16.985Z
    expect([r.responses, r.byCode, r.anomalies, r.formats]).toEqual([2, { '486': 2 }, {}, ['json-objects', 'sip']]);
    expect(perMinute(r)).toEqual({
      '2026-12-07T23:02:00.000Z': { '486': 1 },
      '2026-12-07T23:03:00.000Z': { '486': 1 },
    });
  });
});

interface Truth {
  readonly responses: number;
  readonly byCode: Record<string, number>;
  readonly byMethod: Record<string, Record<string, number>>;
}
const truthOf = (name: string): Truth =>
  JSON.parse(readFixture(`json-objects/${name}.truth.json`).toString('utf8')) as Truth;

describe('real JSON logs not one per line (test/fixtures/json-objects/README.md; json-pretty: journal-structured.test.ts)', () => {
  it("reads Kamailio's --log-engine=json:N (records back to back) as the wire and its acc records", async () => {
    // Prepare: before, UNKNOWN_FORMAT
    const truth = truthOf('kamailio-json-N');
    const log = readFixture('json-objects/kamailio-json-N.log.gz');

    // Act
    const got = await Promise.all([[], [1000], [3333, 77777]].map((cuts) => scan(chunked(log, cuts))));

    // Assess
    for (const r of got) {
      expect([r.responses, r.byCode, r.byMethod, r.anomalies]).toEqual([
        truth.responses,
        truth.byCode,
        truth.byMethod,
        {},
      ]);
      expect(r.formats).toEqual(['gzip', 'json-objects', 'kamailio-log', 'acc']);
    }
  });
});

describe('JSON records past the bound on what one record may hold', () => {
  it('reads the records of a wrapper over 4 MiB, and reports a record over 4 MiB, however the bytes are cut', async () => {
    // Prepare: 30,000 CloudWatch events in one wrapper (~5 MiB), then one record of 5 MiB of text
    const events = Array.from({ length: 30_000 }, (_, k) => ({ timestamp: 1796684536985 + k, message: SIP_486 }));
    const wrapper = JSON.stringify({ events }, null, 2);
    const huge = JSON.stringify({ message: 'x'.repeat(5 * 1024 * 1024) });
    const bytes = Buffer.from(`${wrapper}\n${huge}\n`, 'utf8');
    const step = (n: number): number[] => Array.from({ length: Math.floor(bytes.length / n) }, (_, k) => (k + 1) * n);

    // Act
    const got = await Promise.all([[], step(65536), step(1_000_003)].map((cuts) => scan(chunked(bytes, cuts))));

    // Assess
    expect(bytes.length).toBeGreaterThan(2 * 4 * 1024 * 1024);
    for (const r of got) {
      expect([r.responses, r.byCode, r.anomalies]).toEqual([30_000, { '486': 30_000 }, { 'message-too-large': 1 }]);
    }
  });
});

describe('journald records whose MESSAGE journalctl left out (no --all)', () => {
  it.each([
    ['-o json', (o: object): string => JSON.stringify(o)],
    ['-o json-pretty', (o: object): string => JSON.stringify(o, null, '\t')],
  ])('says each such message is lost (%s): message-too-large, not unread text', async (_mode, print) => {
    // Prepare: journalctl writes a field over 4,096 bytes as null without --all
    const entry = (cursor: string, message: string | null): object => ({
      __CURSOR: cursor,
      __REALTIME_TIMESTAMP: '1796684540000001',
      MESSAGE: message,
    });
    const log = [
      entry('s=1', 'INFO: <core> started'),
      entry('s=2', SIP_486.replace(/\r\n\r\n$/, '')),
      entry('s=3', null),
      entry('s=4', SIP_486.replace('CSeq: 1', 'CSeq: 2').replace(/\r\n\r\n$/, '')),
    ]
      .map(print)
      .join('\n');

    // Act
    const r = await scan(chunked(Buffer.from(`${log}\n`, 'utf8'), [90]));

    // Assess: before, the null record's line (or object) was passed on as text no reader knew; the 21 bytes are
    // "INFO: <core> started\n", a message of no format
    expect([r.responses, r.byCode, r.anomalies, r.unrecognizedBytes]).toEqual([
      2,
      { '486': 2 },
      { 'message-too-large': 1 },
      21,
    ]);
  });
});
