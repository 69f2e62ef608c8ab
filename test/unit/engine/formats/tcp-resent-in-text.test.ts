import { describe, expect, it } from 'vitest';
import { readFixture, scanWhole } from '../../../support/collect.js';
import { readTsharkCounts } from '../../../support/tshark-counts.js';

/**
 * TCP retransmissions in text logs that print no sequence numbers: ngrep prints every segment it sees, so a
 * capture's resent segment is printed again, and tshark does not dissect it again (tcp.analysis.retransmission).
 * The fixtures are ngrep's text of the TCP packets of the corpus's mixed.pcap (tcp.pcap, see README), sent twice:
 * every segment followed by its copy (`mergecap -w twice.pcap tcp.pcap tcp.pcap`), or resent three packets later,
 * after newer segments (make-tcp-resent.py). tshark counts 405 responses in each, as in tcp.pcap
 * (mixed-tcp.tshark.json).
 */
const truth = readTsharkCounts('text/mixed-tcp.tshark.json');

describe('TCP segments a text log prints twice', () => {
  it.each([
    // before: 810 each (every copy framed again)
    ['ngrep-W-single-t-tcp-twice-mixed.txt.gz', 'ngrep -W single -t, each segment followed by its copy'],
    ['ngrep-W-byline-tcp-resent-mixed.txt.gz', 'ngrep -W byline, each segment resent after newer ones'],
  ])('counts %s (%s) as tshark counts the capture', async (name) => {
    // Prepare
    const text = readFixture(`text/${name}`);

    // Act
    const r = await scanWhole(text);

    // Assess
    expect(r.formats).toEqual(['gzip', 'ngrep']);
    expect({ responses: r.responses, byCode: r.byCode, byMethod: r.byMethod }).toEqual({
      responses: truth.responses,
      byCode: truth.byCode,
      byMethod: truth.byMethod,
    });
    expect(r.anomalies).toEqual({});
  });
});
