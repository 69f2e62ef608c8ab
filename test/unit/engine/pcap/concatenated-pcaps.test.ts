import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readFixture, replayAtRandomCuts, scanWhole } from '../../../support/collect.js';
import { CORPUS_DIR } from '../../../support/corpus.js';
import { countsOf, ethernet, pcapFile, readCapture, udpPacket } from '../../../support/pcap-builder.js';
import { response } from '../../../support/sip-samples.js';

/** Codes added up over several results (what one merged capture of them holds). */
const sumByCode = (parts: readonly Record<string, number>[]): Record<string, number> => {
  const sum: Record<string, number> = {};
  for (const p of parts) for (const [code, n] of Object.entries(p)) sum[code] = (sum[code] ?? 0) + n;
  return Object.fromEntries(Object.entries(sum).sort(([a], [b]) => a.localeCompare(b)));
};
const sorted = (r: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));

/**
 * Four real captures of four layouts: Ethernet microseconds (the corpus's tcpdump capture), Linux cooked v1,
 * Ethernet nanoseconds and the modified libpcap (24-byte record headers). tshark counts 1834 + 3 + 3 + 10 responses in
 * them (`-Y sip.Status-Code -T fields -e sip.Status-Code`, one per code), and 1850, with the same codes as ours, in
 * `mergecap -a` of the four (tshark does not read a `cat` of pcap files: its second file header is no record).
 */
const PARTS = [
  readFileSync(`${CORPUS_DIR}mixed.pcap`),
  readFixture('pcap/any-sll.pcap'),
  readFixture('pcap/loopback-ethernet-ns.pcap'),
  readFixture('pcap/crafted-modpcap.pcap'),
];

describe('pcap files joined with cat', () => {
  it('reads every capture after the first file header on, each with its own layout, as tshark reads them merged', async () => {
    // Prepare: cat mixed.pcap any-sll.pcap loopback-ethernet-ns.pcap crafted-modpcap.pcap
    const joined = Buffer.concat(PARTS);

    // Act
    const whole = await scanWhole(joined);
    const parts = await Promise.all(PARTS.map((p) => scanWhole(p)));

    // Assess: before, the second file header was a corrupt record and the scan stopped at 1834
    expect(parts.map((p) => p.responses)).toEqual([1834, 3, 3, 10]);
    expect(whole.responses).toBe(1850);
    expect(whole.anomalies).toEqual({});
    expect(sorted(whole.byCode)).toEqual(sumByCode(parts.map((p) => p.byCode)));
  });

  it('takes the byte order and time resolution of each file header', () => {
    // Prepare: a little-endian microsecond capture, then a big-endian nanosecond one, a minute later
    const ok = (callId: string): Buffer =>
      ethernet(udpPacket('192.0.2.1', '192.0.2.2', 5060, 5060, response(200, 'OK', '1 OPTIONS', callId)));
    const minuteMs = 1_700_000_040_000;
    const first = pcapFile([{ data: ok('a'), timeMs: minuteMs - 1 }]);
    const second = pcapFile([{ data: ok('b'), timeMs: minuteMs + 60_000 }], { bigEndian: true, nanoseconds: true });

    // Act
    const { result } = readCapture(Buffer.concat([first, second]));

    // Assess
    expect(countsOf(result).anomalies).toEqual({});
    expect(result.series.map((m) => [m.minute, m.byCode])).toEqual([
      ['2023-11-14T22:13:00.000Z', { '200': 1 }],
      ['2023-11-14T22:15:00.000Z', { '200': 1 }],
    ]);
  });

  it('reads the same however the joined file is chunked', async () => {
    // Prepare: the three small fixtures, joined (a file header may fall across a chunk boundary)
    const joined = Buffer.concat(PARTS.slice(1));

    // Act
    const { whole, differing } = await replayAtRandomCuts(joined, 8);

    // Assess
    expect(whole.responses).toBe(16);
    expect(differing).toEqual([]);
  });
});
