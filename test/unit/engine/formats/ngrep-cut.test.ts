import { describe, expect, it } from 'vitest';
import { readFixture, replayAtRandomCuts, scanWhole } from '../../../support/collect.js';

/** ngrep text of TCP segments the snaplen or ngrep's -S cut (test/fixtures/ngrep-cut/README.md). */
describe('ngrep text of TCP segments cut short', () => {
  it.each(['tcp-flow.ngrep-byline.txt', 'tcp-flow.ngrep-normal.txt', 'tcp-flow.ngrep-x.txt'])(
    'counts %s as tshark counts the cut capture',
    async (file) => {
      // Act
      const capture = await scanWhole(readFixture('ngrep-cut/tcp-flow.s200.pcap'));
      const text = await scanWhole(readFixture(`ngrep-cut/${file}`));

      // Assess: tshark 4.0.17 counts 3 responses and 2 requests; before, the text counted none (one stream-cut)
      expect([capture.responses, capture.requests, capture.byCode]).toEqual([3, 2, { '100': 1, '180': 1, '200': 1 }]);
      expect([text.responses, text.requests, text.byCode, text.anomalies]).toEqual([
        capture.responses,
        capture.requests,
        capture.byCode,
        capture.anomalies,
      ]);
    },
  );

  it("counts the segments ngrep's -S cut as the capture cut to the same length would be", async () => {
    // Act
    const text = await scanWhole(readFixture('ngrep-cut/tcp-flow.full.ngrep-S120.txt'));
    const whole = await scanWhole(readFixture('ngrep-cut/tcp-flow.full.pcap'));

    // Assess: the five messages of the uncut capture, each said to be cut
    expect([whole.responses, whole.requests]).toEqual([3, 2]);
    expect([text.responses, text.requests, text.byCode]).toEqual([3, 2, whole.byCode]);
    expect(text.anomalies['truncated-capture']).toBe(5);
  });

  it('gives the same result however the text is chunked', async () => {
    // Act
    const replay = await replayAtRandomCuts(readFixture('ngrep-cut/tcp-flow.ngrep-byline.txt'), 5);

    // Assess
    expect(replay.whole.responses).toBe(3);
    expect(replay.differing).toEqual([]);
  });
});
