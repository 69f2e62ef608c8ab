import { describe, expect, it } from 'vitest';
import { scan } from '../../../lambda/engine/index.js';
import type { ScanResult } from '../../../lambda/engine/tally.js';
import { chunked, readFixture } from '../../support/collect.js';

/**
 * journalctl's output of Kamailio's whole-message log entries (test/fixtures/journal/README.md): each entry's further
 * lines indented to its message column, its trailing CRLFs trimmed by journald.
 */

interface Truth {
  readonly responses: number;
  readonly byCode: Record<string, number>;
  readonly responsesPerMinute: Record<string, Record<string, number>>;
}
const truth = JSON.parse(readFixture('journal/kamailio-journal.truth.json').toString('utf8')) as Truth;

const perMinute = (r: ScanResult): Record<string, Record<string, number>> =>
  Object.fromEntries(r.series.map((m) => [m.minute, m.byCode]));

// the run's journal was read back in India's time (short: no offset printed; short-iso: "+0530")
const opts = { timeZone: 'Asia/Kolkata', referenceMs: Date.parse('2026-12-07T04:05:00Z') };

describe('journalctl output of multi-line entries', () => {
  it.each(['short', 'short-iso'])('reads -o %s as tshark counted the wire, minute by minute', async (mode) => {
    // Prepare: before, UNKNOWN_FORMAT (the indented lines were neither prefixed nor SIP)
    const log = readFixture(`journal/kamailio-journal.${mode}.log.gz`);

    // Act
    const got = await scan(chunked(log, []), opts);

    // Assess
    expect([got.responses, got.byCode]).toEqual([truth.responses, truth.byCode]);
    expect(perMinute(got)).toEqual(truth.responsesPerMinute);
    // journald's trimmed CRLFs cut no message
    expect(got.anomalies).toEqual({});
  });

  it.each([
    ['codes', 'short-monotonic', 0],
    ['codes', 'short-delta', 0],
    ['codes', 'json-sse', 44],
    ['codes', 'cat', 0],
    ['sdp', 'short-delta', 0],
    ['sdp', 'cat', 0],
  ])('reads the %s run in -o %s as tshark counted the wire (%i responses timed)', async (run, mode, timed) => {
    // Prepare: before, -o short-monotonic, short-delta and json-sse were UNKNOWN_FORMAT, and -o cat (no prefix, so
    // Kamailio's "INFO: <script>:" starts each record) reported each message truncated (79 and 40 of 60 in the sdp
    // run): journald trimmed the blank line, or the body's last CRLF, before the next record
    const want = JSON.parse(readFixture(`journal/kamailio-journal-${run}.truth.json`).toString('utf8')) as Truth;
    const log = readFixture(`journal/kamailio-journal-${run}.${mode}.log.gz`);

    // Act
    const got = await scan(chunked(log, [4099]), opts);

    // Assess: monotonic and delta heads and cat's bare text name no wall-clock time
    expect([got.responses, got.byCode, got.anomalies]).toEqual([want.responses, want.byCode, {}]);
    expect(got.timedResponses).toBe(timed);
  });

  it('still reports a body cut by the next record when more than its last line end is missing', async () => {
    // Prepare: Content-Length 24 announces more of the SDP than the log printed before Kamailio's next record
    const text = [
      'INFO: <script>: SIP/2.0 200 OK\r',
      'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-1\r',
      'Call-ID: c1\r',
      'CSeq: 1 INVITE\r',
      'Content-Type: application/sdp\r',
      'Content-Length: 24\r',
      '\r',
      'v=0\r',
      'o=- 1',
      'INFO: <script>: SIP/2.0 200 OK\r',
      'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-2\r',
      'Call-ID: c2\r',
      'CSeq: 1 INVITE\r',
      'Content-Length: 0',
      '',
    ].join('\n');

    // Act
    const got = await scan(chunked(Buffer.from(text, 'latin1'), []), opts);

    // Assess: both count; only the first lost bytes of its own
    expect([got.responses, got.anomalies]).toEqual([2, { 'truncated-body': 1 }]);
  });

  it('keeps the white space a folded header line has of its own', async () => {
    // Prepare: an entry whose message folds its Via (RFC 3261 §7.3.1), printed as journalctl prints it
    const column = ' '.repeat('2026-12-07T09:27:39+0530 vm kamailio[15614]: '.length);
    const lines = [
      '2026-12-07T09:27:39+0530 vm kamailio[15614]: SIP/2.0 486 Busy Here\r',
      `${column}Via: SIP/2.0/UDP 127.0.0.1:5060\r`,
      `${column} ;branch=z9hG4bK-1\r`,
      `${column}Call-ID: c1\r`,
      `${column}CSeq: 1 INVITE\r`,
      `${column}Content-Length: 0`,
      '2026-12-07T09:27:40+0530 vm kamailio[15614]: INFO: <core> done',
      '',
    ];

    // Act
    const got = await scan(chunked(Buffer.from(lines.join('\n'), 'latin1'), [97]), opts);

    // Assess
    expect([got.responses, got.byCode, got.anomalies, got.kpis.inviteTransactions]).toEqual([1, { '486': 1 }, {}, 1]);
  });

  it('ends each message where its entry ends, with no header line of a log format after it', async () => {
    // Prepare: three entries whose SIP starts on the prefixed line (no Kamailio "INFO: <script>:" to key on), each
    // `Content-Length: 0` with the blank line after it trimmed; before the blank line was put back, the next entry's
    // start line was read as a header of the message before it (1 of 3 counted, no anomaly)
    const column = ' '.repeat('Dec 07 05:00:01 host kamailio[123]: '.length);
    const entry = (time: string, status: string): string[] => [
      `Dec 07 ${time} host kamailio[123]: SIP/2.0 ${status}\r`,
      `${column}Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-1\r`,
      `${column}Call-ID: c1\r`,
      `${column}CSeq: 1 INVITE\r`,
      `${column}Content-Length: 0`,
    ];
    const log = [
      ...entry('05:00:01', '100 Trying'),
      ...entry('05:00:02', '180 Ringing'),
      ...entry('05:00:03', '200 OK'),
    ];

    // Act
    const got = await scan(chunked(Buffer.from(`${log.join('\n')}\n`, 'latin1'), [61, 300]), opts);

    // Assess
    expect([got.responses, got.byCode, got.anomalies]).toEqual([3, { '100': 1, '180': 1, '200': 1 }, {}]);
  });
});
