import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { scan } from '../../../lambda/engine/index.js';
import { JsonLinesDecoder } from '../../../lambda/engine/json-lines.js';
import { LinePrefixStripper } from '../../../lambda/engine/log-prefix.js';
import type { ScanResult } from '../../../lambda/engine/tally.js';
import { chunked, readFixture, replayAtRandomCuts } from '../../support/collect.js';

/**
 * A container's output as its runtime keeps it (CRI: containerd, CRI-O, kubelet's /var/log/pods): each line a record
 * `TIME STREAM F text`, a line longer than the runtime's limit (16 KiB by default, `max_container_log_line_size`) in
 * parts, `P` records then an `F` one. Kamailio in a pod with `--log-engine=json` writes one JSON object per line to
 * stderr (the real run of test/fixtures/kamailio-json/json.log.gz), which the runtime wraps so.
 */

/**
 * The runtime's records of `text` (its lines, LF-ended), each line cut into parts of at most `limit` bytes, each
 * record stamped on its own; with `other`, a stdout record of the other stream between every two parts of a line.
 */
const criRecords = (text: string, limit: number, startMs: number, other = false): string => {
  const out: string[] = [];
  const stamp = (ms: number): string => new Date(ms).toISOString().replace('Z', '123456Z');
  text
    .split('\n')
    .slice(0, -1)
    .forEach((line, i) => {
      const ms = startMs + i * 10;
      let at = 0;
      for (; at + limit < line.length; at += limit) {
        out.push(`${stamp(ms)} stderr P ${line.slice(at, at + limit)}\n`);
        if (other) out.push(`${stamp(ms)} stdout F ${OTHER_LINE}\n`);
      }
      out.push(`${stamp(ms + 1)} stderr F ${line.slice(at)}\n`);
    });
  return out.join('');
};

/** What the other stream prints meanwhile (no SIP). */
const OTHER_LINE = '{"level": "INFO", "message": "dispatcher: destination 127.0.0.1:26070 is up"}';

const kamailioJson = gunzipSync(readFixture('kamailio-json/json.log.gz')).toString('latin1');
/** When the records say the lines were written (the objects carry no time of their own). */
const START_MS = Date.parse('2026-12-07T17:18:00Z');

const counts = (r: ScanResult) => [r.responses, r.requests, r.accountedResponses, r.byCode, r.byMethod, r.anomalies];

describe('CRI log files (a container runtime`s records)', () => {
  it('reads the JSON objects of a container`s output, each at its record`s time', async () => {
    // Prepare: every line whole (an F record each)
    const records = Buffer.from(criRecords(kamailioJson, 16_384, START_MS), 'latin1');

    // Act
    const [got, plain] = await Promise.all([
      scan(chunked(records, [])),
      scan(chunked(Buffer.from(kamailioJson, 'latin1'), [])),
    ]);

    // Assess: the same messages as the log itself; before, `UNKNOWN_FORMAT` (an object after this prefix was none)
    expect(got.formats).toEqual(['json-lines', 'kamailio-log', 'acc']);
    expect(counts(got)).toEqual(counts(plain));
    expect(got.responses).toBe(502);
    // now every message is timed, by its record
    expect(got.timedResponses).toBe(got.responses);
    expect(got.series[0]?.minute).toBe('2026-12-07T17:18:00.000Z');
  });

  it('joins a line the runtime split over P records before reading its object, however the bytes are cut', async () => {
    // Prepare: a 300-byte limit, so that most objects come in parts
    const records = Buffer.from(criRecords(kamailioJson, 300, START_MS), 'latin1');
    expect(records.toString('latin1').split(' stderr P ').length).toBeGreaterThan(1000);

    // Act
    const [{ whole, differing }, plain] = await Promise.all([
      replayAtRandomCuts(records, 4),
      scan(chunked(Buffer.from(kamailioJson, 'latin1'), [])),
    ]);

    // Assess
    expect(counts(whole)).toEqual(counts(plain));
    expect(whole.timedResponses).toBe(whole.responses);
    expect(differing).toEqual([]);
  });

  it('tells a file whose every line was split is JSON lines (its head judged on the joined lines)', async () => {
    // Prepare: a 100-byte limit: no object comes in one record
    const records = Buffer.from(criRecords(kamailioJson, 100, START_MS), 'latin1');

    // Act
    const [got, plain] = await Promise.all([
      scan(chunked(records, [])),
      scan(chunked(Buffer.from(kamailioJson, 'latin1'), [])),
    ]);

    // Assess
    expect(got.formats).toEqual(['json-lines', 'kamailio-log', 'acc']);
    expect(counts(got)).toEqual(counts(plain));
  });

  it('keeps each stream`s parts apart when the other stream writes between them (containerd writes both)', async () => {
    // Prepare: a stdout record between every two parts of a stderr line
    const records = Buffer.from(criRecords(kamailioJson, 300, START_MS, true), 'latin1');

    // Act
    const [{ whole, differing }, plain] = await Promise.all([
      replayAtRandomCuts(records, 3),
      scan(chunked(Buffer.from(kamailioJson, 'latin1'), [])),
    ]);

    // Assess
    expect(counts(whole)).toEqual(counts(plain));
    expect(differing).toEqual([]);
  });

  it('passes on each stream`s objects whole when the other stream`s record comes between a line`s parts', async () => {
    // Prepare: stderr's object in two parts, a whole stdout object between them
    const t = '2026-12-07T17:18:00.000000000Z';
    const records = `${t} stderr P {"message":"AAA\n${t} stdout F {"message":"out\\n"}\n${t} stderr F BBB\\n"}\n`;

    // Act
    const out: Buffer[] = [];
    for await (const b of new JsonLinesDecoder().rewrite(chunked(Buffer.from(records, 'latin1'), []))) out.push(b);

    // Assess: before, the stdout record was joined into stderr's line and both objects were lost
    expect(Buffer.concat(out).toString('latin1')).toBe('out\nAAABBB\n');
  });

  it('takes a next part`s text whole, even where it starts like a level or a source location', async () => {
    // Prepare: parts that begin with "[DEBUG] " and "main.go:42 " (a line's first record may carry such a prefix)
    const line =
      '{"message": "SIP/2.0 200 OK\\r\\nCSeq: 1 INVITE\\r\\nCall-ID: a\\r\\nX: see [DEBUG] main.go:42 for it\\r\\n\\r\\n"}';
    const cut1 = line.indexOf('[DEBUG]');
    const cut2 = line.indexOf('main.go');
    const t = '2026-12-07T17:18:00.000000000Z';
    const records = `${t} stderr P ${line.slice(0, cut1)}\n${t} stderr P ${line.slice(cut1, cut2)}\n${t} stderr F ${line.slice(cut2)}\n`;

    // Act
    const out: Buffer[] = [];
    for await (const b of new JsonLinesDecoder().rewrite(chunked(Buffer.from(records, 'latin1'), []))) out.push(b);

    // Assess
    expect(Buffer.concat(out).toString('latin1')).toBe(JSON.parse(line).message);
  });

  it('cuts the prefixes of a text log off without the line ends the runtime added between a line`s parts', async () => {
    // Prepare: a SIP message logged line by line, one header line longer than the limit
    const sip =
      'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n' +
      `X-Long: ${'y'.repeat(1000)}\r\nContent-Length: 0\r\n\r\n`;
    const records = Buffer.from(criRecords(sip, 256, START_MS), 'latin1');

    // Act
    const out: Buffer[] = [];
    for await (const b of new LinePrefixStripper().strip(chunked(records, [333]))) out.push(b);

    // Assess: the program's bytes, as it wrote them
    expect(Buffer.concat(out).toString('latin1')).toBe(sip);
  });

  it('passes on the parts of a line whose last part never came', async () => {
    // Prepare: the file ends after a P record (the runtime still writing)
    const t = '2026-12-07T17:19:00.000000000Z';
    const records = `${t} stdout F {"message": "one\\n"}\n${t} stderr P {"message": "RCV 127.0.0.1:26070: SIP/2.0\n`;

    // Act
    const out: Buffer[] = [];
    for await (const b of new JsonLinesDecoder().rewrite(chunked(Buffer.from(records, 'latin1'), [50]))) out.push(b);

    // Assess: the first object's text, then the held part as it came
    expect(Buffer.concat(out).toString('latin1')).toBe('one\n{"message": "RCV 127.0.0.1:26070: SIP/2.0');
  });

  it('cuts a P record too long to hold (over 1 MiB) the same way however it arrives', async () => {
    // Prepare: a 1.2 MB header line in two records
    const long = 'y'.repeat(1_200_000);
    const t = '2026-12-07T17:18:00.000000000Z';
    const records = Buffer.from(
      `${t} stdout F SIP/2.0 200 OK\r\n${t} stdout P X-Long: ${long.slice(0, 1_100_000)}\n${t} stdout F ${long.slice(1_100_000)}\r\n`,
      'latin1',
    );
    const strip = async (cuts: number[]): Promise<string> => {
      const out: Buffer[] = [];
      for await (const b of new LinePrefixStripper().strip(chunked(records, cuts))) out.push(b);
      return Buffer.concat(out).toString('latin1');
    };

    // Act
    const [one, many] = await Promise.all([strip([]), strip([65_536, 131_072, 600_000, 1_000_000, 1_150_000])]);

    // Assess: the program's line, its parts joined
    expect(one).toBe(`SIP/2.0 200 OK\r\nX-Long: ${long}\r\n`);
    expect(many).toBe(one);
  });
});
