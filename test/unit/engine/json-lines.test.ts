import { describe, expect, it } from 'vitest';
import { scan } from '../../../lambda/engine/index.js';
import { isJsonLines, JsonLinesDecoder } from '../../../lambda/engine/json-lines.js';
import { chunked, readFixture } from '../../support/collect.js';

const decodeAll = async (bytes: Buffer, cuts: number[]): Promise<Buffer> => {
  const out: Buffer[] = [];
  for await (const b of new JsonLinesDecoder().rewrite(chunked(bytes, cuts))) out.push(b);
  return Buffer.concat(out);
};

// Docker json-file objects as moby writes them: a partial line's object has no "\n" in its log
const DOCKER = [
  '{"log":"SIP/2.0 200 OK\\r\\n","stream":"stderr","time":"2026-12-07T06:41:42.72243019Z"}',
  '{"log":"Via: SIP/2.0/UDP a;bran","stream":"stderr","time":"2026-12-07T06:41:42.7225Z"}',
  '{"log":"ch=z9hG4bK1\\r\\n","stream":"stderr","time":"2026-12-07T06:41:42.7225Z"}',
  'not json: passed on as it is',
  '{"log":"\\u003cscript\\u003e \\u0009tab\\n","stream":"stdout","time":"2026-12-07T06:42:00Z"}',
  '',
].join('\n');

describe('JSON lines (Docker json-file, journalctl -o json)', () => {
  it('takes the text out of each object, joins partial lines and passes other lines on, however the bytes are cut', async () => {
    // Prepare
    const bytes = Buffer.from(DOCKER, 'utf8');
    const want =
      'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nnot json: passed on as it is\n<script> \ttab\n';

    // Act: whole, and cut at every byte
    const whole = await decodeAll(bytes, []);
    const cut = await Promise.all(Array.from({ length: bytes.length - 1 }, (_, i) => decodeAll(bytes, [i + 1])));

    // Assess
    expect(whole.toString('latin1')).toBe(want);
    expect(cut.filter((b) => !b.equals(whole))).toEqual([]);
  });

  it("gives each text its object's time: Docker's RFC 3339 nanoseconds, journald's microseconds", async () => {
    // Prepare: journald keeps no line end after a message; one of several lines gets the blank line it trimmed
    const sip =
      'SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0';
    const journal = [
      JSON.stringify({ __REALTIME_TIMESTAMP: '1796625313511056', MESSAGE: 'INFO: <core> started' }),
      JSON.stringify({ __REALTIME_TIMESTAMP: '1796625373000001', MESSAGE: [...Buffer.from(sip, 'latin1')] }),
      '',
    ].join('\n');

    // Act
    const r = await scan(chunked(Buffer.from(journal, 'utf8'), [61]));

    // Assess: 1796625373 s is 2026-12-07T06:36:13Z
    expect([r.responses, r.byCode, r.anomalies, r.formats]).toEqual([1, { '486': 1 }, {}, ['json-lines', 'sip']]);
    expect(r.series.map((m) => m.minute)).toEqual(['2026-12-07T06:36:00.000Z']);
  });

  it("puts back the line end shippers drop (ECS / Filebeat `message`: a line of the program's output per object)", async () => {
    // Prepare: each line of a SIP message an object of its own, without its LF (before: one line, UNKNOWN_FORMAT)
    const lines = ['SIP/2.0 486 Busy Here\r', 'Via: SIP/2.0/UDP a;branch=z9hG4bK1\r', 'Call-ID: c\r'];
    const more = ['CSeq: 1 INVITE\r', 'Content-Length: 0\r', '\r'];
    const log = [...lines, ...more]
      .map((message, i) => JSON.stringify({ '@timestamp': `2026-12-07T06:36:1${i}.000Z`, message }))
      .join('\n');

    // Act
    const r = await scan(chunked(Buffer.from(log, 'utf8'), [37]));

    // Assess
    expect([r.responses, r.byCode, r.anomalies, r.formats]).toEqual([1, { '486': 1 }, {}, ['json-lines', 'sip']]);
    expect(r.series.map((m) => m.minute)).toEqual(['2026-12-07T06:36:00.000Z']);
  });

  it('leaves logs alone whose lines are mostly no such objects (a SIP log with JSON bodies, the corpus)', () => {
    // Prepare
    const body = '{"event":"presence","log":"x"}';
    const sipWithJson = Buffer.from(
      `MESSAGE sip:a@b SIP/2.0\r\nCall-ID: c\r\nCSeq: 1 MESSAGE\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}\r\n`,
    );

    // Act
    const verdicts = [sipWithJson, readFixture('text/chan-sip-full.log'), Buffer.from(DOCKER)].map((b) =>
      isJsonLines(b),
    );

    // Assess
    expect(verdicts).toEqual([false, false, true]);
  });
});
