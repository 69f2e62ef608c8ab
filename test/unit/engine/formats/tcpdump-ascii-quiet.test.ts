import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readFixture, replayAtRandomCuts, scanWhole } from '../../../support/collect.js';
import { readTsharkCounts } from '../../../support/tshark-counts.js';

/**
 * `tcpdump -q -A` prints a TCP packet as `tcp N` (its payload's bytes) and then the whole IP packet as text: no flags,
 * sequence numbers or options, so the reader finds the TCP header's length from N, the IP length field and where the
 * SIP message starts, and takes the segments in the order printed. The fixtures are tcpdump's text of the TCP packets
 * of the shared corpus's mixed.pcap (`tshark -r mixed.pcap -Y tcp -w tcp.pcap`); tshark's counts are in mixed-tcp.tshark.json (405 responses).
 */
const truth = readTsharkCounts('text/mixed-tcp.tshark.json');

describe('tcpdump -q -A of SIP over TCP', () => {
  it.each([
    // before: 0 (every TCP packet of a -q text was skipped, without an anomaly)
    ['tcpdump-A-q-t-tcp-mixed.txt.gz', '-nqt -A'],
  ])('counts %s (%s) as tshark counts the capture', async (name) => {
    // Prepare
    const text = readFixture(`text/${name}`);

    // Act
    const r = await scanWhole(text);

    // Assess
    expect(r.formats).toEqual(['gzip', 'tcpdump-ascii']);
    expect({ responses: r.responses, byCode: r.byCode, byMethod: r.byMethod }).toEqual({
      responses: truth.responses,
      byCode: truth.byCode,
      byMethod: truth.byMethod,
    });
    expect(r.anomalies).toEqual({});
    expect(r.unrecognizedBytes).toBe(0);
  });

  it('gives the same result however the text is chunked', async () => {
    // Prepare
    const text = readFixture('text/tcpdump-A-q-t-tcp-mixed.txt.gz');

    // Act
    const { whole, differing } = await replayAtRandomCuts(text, 3);

    // Assess
    expect(whole.responses).toBe(truth.responses);
    expect(differing).toEqual([]);
  });

  it('says so when a segment cannot be read: the snaplen cut it, so its payload is shorter than `tcp N`', async () => {
    // Prepare: the first segment that carries data, its last 40 printed characters cut off as a snaplen would
    const text = gunzipSync(readFixture('text/tcpdump-A-q-t-tcp-mixed.txt.gz')).toString('latin1');
    const start = text.search(/^IP .*: tcp [1-9]\d*$/m);
    const packet = text.slice(start, text.indexOf('\nIP ', start) + 1);
    const cut = `${packet.slice(0, packet.length - 41)}\n`;

    // Act
    const r = await scanWhole(Buffer.from(cut, 'latin1'));

    // Assess
    expect(r.responses + r.requests).toBe(0);
    expect(r.anomalies).toEqual({ 'unreadable-packet': 1 });
  });
});
