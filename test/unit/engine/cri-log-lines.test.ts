import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { scan } from '../../../lambda/engine/index.js';
import { LinePrefixStripper } from '../../../lambda/engine/log-prefix.js';
import type { ScanResult } from '../../../lambda/engine/tally.js';
import { chunked, readFixture, replayAtRandomCuts } from '../../support/collect.js';

/**
 * A container's output as its runtime keeps it (CRI: containerd, CRI-O, kubelet's /var/log/pods): each line a record
 * `TIME STREAM F text`, a line longer than the runtime's limit (16 KiB by default, `max_container_log_line_size`) in
 * parts, `P` records then an `F` one. Kamailio in a pod with `--log-engine=json` writes one JSON object per line to
 * stderr (the real run of test/fixtures/kamailio-json/json.log.gz), which the runtime wraps so.
 */

/** The runtime's records of `text` (its lines, LF-ended), each line cut into parts of at most `limit` bytes. */
const criRecords = (text: string, limit: number, startMs: number): string => {
  const out: string[] = [];
  text
    .split('\n')
    .slice(0, -1)
    .forEach((line, i) => {
      const time = new Date(startMs + i * 10).toISOString().replace('Z', '123456Z');
      for (let at = 0; at + limit < line.length; at += limit)
        out.push(`${time} stderr P ${line.slice(at, at + limit)}\n`);
      out.push(`${time} stderr F ${line.slice(Math.floor(Math.max(0, line.length - 1) / limit) * limit)}\n`);
    });
  return out.join('');
};

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

  it('passes on the parts of a line whose last part never came, and reads the objects before it', async () => {
    // Prepare: the file ends after a P record (the runtime still writing)
    const lines = kamailioJson.split('\n').slice(0, 40).join('\n');
    const records = criRecords(`${lines}\n`, 16_384, START_MS);
    const cut = `${records}2026-12-07T17:19:00.000000000Z stderr P { "idx": 1, "message": "RCV 127.0.0.1:26070: SIP/2.0`;

    // Act
    const [got, before] = await Promise.all([
      scan(chunked(Buffer.from(`${cut}\n`, 'latin1'), [])),
      scan(chunked(Buffer.from(records, 'latin1'), [])),
    ]);

    // Assess
    expect(counts(got)).toEqual(counts(before));
    expect(got.responses).toBeGreaterThan(0);
  });
});
