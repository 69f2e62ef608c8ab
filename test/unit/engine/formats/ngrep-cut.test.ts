import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readFixture, replayAtRandomCuts, scanWhole } from '../../../support/collect.js';

/** ngrep text of TCP segments the snaplen cut, and of one the capture lost (test/fixtures/ngrep-cut/README.md). */
describe('ngrep text of TCP segments cut short', () => {
  it('counts the cut messages of a -s 200 capture printed by ngrep, as tshark counts the capture', async () => {
    // Act
    const capture = await scanWhole(gunzipSync(readFixture('ngrep-cut/s200-tcp.pcap.gz')));
    const text = await scanWhole(gunzipSync(readFixture('ngrep-cut/s200-tcp.ngrep-byline.txt.gz')));

    // Assess: tshark 4.0.17 counts 395 responses and 285 requests. The text gives all but the log's first cut
    // message, read before three segments of the cut length had been printed; before, it gave none (16 stream-cut)
    expect([capture.responses, capture.requests]).toEqual([395, 285]);
    expect([text.responses, text.requests]).toEqual([394, 285]);
    expect(text.anomalies).toEqual({ 'truncated-capture': 679, 'missing-cseq': 679 });
  });

  it('takes no segment the capture lost for a cut', async () => {
    // Act
    const capture = await scanWhole(readFixture('ngrep-cut/lost-segment.pcap'));
    const text = await scanWhole(readFixture('ngrep-cut/lost-segment.ngrep-byline.txt'));

    // Assess: tshark counts 100 and 200 on each connection; the text cannot tell the lost middle of a 180 from the
    // 200 after it, so it counts that 180 in its place (as before), and claims no cut (the first version counted 6)
    expect([capture.responses, capture.byCode]).toEqual([4, { '100': 2, '200': 2 }]);
    expect(text.responses).toBe(4);
    expect(text.anomalies['truncated-capture']).toBeUndefined();
  });

  it('gives the same result however the text is chunked', async () => {
    // Act
    const replay = await replayAtRandomCuts(gunzipSync(readFixture('ngrep-cut/s200-tcp.ngrep-byline.txt.gz')), 5);

    // Assess
    expect(replay.whole.responses).toBe(394);
    expect(replay.differing).toEqual([]);
  });
});

describe("ngrep's closing line after '#' marks of packets it did not print", () => {
  it.each(['bare-ack-last.ngrep-x.txt', 'bare-ack-last.ngrep-byline.txt'])(
    'reads %s to its last payload, without the "#exit" line',
    async (file) => {
      // Act
      const capture = await scanWhole(readFixture('ngrep-cut/bare-ack-last.pcap'));
      const text = await scanWhole(readFixture(`ngrep-cut/${file}`));

      // Assess: tshark counts 3 responses (100, 180, 200); before, -x counted 1 and byline said stream-garbage
      expect([capture.responses, capture.byCode]).toEqual([3, { '100': 1, '180': 1, '200': 1 }]);
      expect([text.responses, text.byCode, text.anomalies]).toEqual([3, capture.byCode, {}]);
    },
  );
});
