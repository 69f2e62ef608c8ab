import { describe, expect, it } from 'vitest';
import { readFixture, replayAtRandomCuts, scanWhole } from '../../../support/collect.js';
import { readTsharkCounts } from '../../../support/tshark-counts.js';

/**
 * SIP over UDP in IP fragments, as text: frames 1-120 of the corpus's mixed.pcap with every IPv4 UDP packet over
 * 300 bytes split into RFC 791 fragments (make-ip-fragments.py), printed by tcpdump -nn -X and ngrep -W byline -q.
 * tshark reassembles the fragments: 67 responses (mixedhead-fragments.tshark.json).
 */
const truth = readTsharkCounts('text/mixedhead-fragments.tshark.json');

describe('IP fragments in text logs', () => {
  it('reassembles a hex dump (tcpdump -X) as the capture is: every count equals tshark', async () => {
    // Prepare: before, the fragments after the first ("ip-proto-17") were skipped: 0 of 67 here (31 of 203 on the
    // first 400 frames)
    const text = readFixture('text/tcpdump-X-fragments-mixedhead.txt.gz');

    // Act
    const r = await scanWhole(text);

    // Assess
    expect({ responses: r.responses, byCode: r.byCode, byMethod: r.byMethod }).toEqual({
      responses: truth.responses,
      byCode: truth.byCode,
      byMethod: truth.byMethod,
    });
    expect(r.anomalies).toEqual({});
  });

  it('counts each response of an ngrep log once, and says its fragments were not joined', async () => {
    // Prepare: ngrep prints each fragment; the later ones as "U a -> b +id@offset:length", whose text was read as
    // SIP of its own (before: 67 here, but 208 of 203 on the first 400 frames, and no word of fragments)
    const text = readFixture('text/ngrep-W-byline-fragments-mixedhead.txt.gz');

    // Act
    const r = await scanWhole(text);

    // Assess: the first fragment holds the status line, so the codes are right; a CSeq in a later fragment is lost
    expect({ responses: r.responses, byCode: r.byCode }).toEqual({ responses: truth.responses, byCode: truth.byCode });
    expect(r.anomalies['ip-fragment-incomplete']).toBeGreaterThan(0);
    expect(r.anomalies['missing-cseq']).toBeGreaterThan(0);
  });

  it('gives the same result for the hex dump however it is chunked', async () => {
    // Prepare
    const text = readFixture('text/tcpdump-X-fragments-mixedhead.txt.gz');

    // Act
    const { whole, differing } = await replayAtRandomCuts(text, 3);

    // Assess
    expect(whole.responses).toBe(truth.responses);
    expect(differing).toEqual([]);
  });
});
