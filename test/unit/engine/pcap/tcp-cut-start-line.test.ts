import { describe, expect, it } from 'vitest';
import { readFixture, replayAtRandomCuts, scanWhole } from '../../../support/collect.js';

/** tshark 4.0.17's default reading of each capture of test/fixtures/tcp-cut-start-line (make.py). */
interface Reading {
  readonly responses: number;
  readonly requests: number;
  readonly byCode: Record<string, number>;
}
const TSHARK = JSON.parse(readFixture('tcp-cut-start-line/tshark.json').toString('utf8')) as Record<string, Reading>;

const CAPTURES = ['kamailio-tcp', 'cuts-5060', 'cuts-15060'] as const;

describe('TCP segments that end inside a message first line (test/fixtures/tcp-cut-start-line)', () => {
  it.each(CAPTURES.flatMap((c) => [`${c}.pcap`, `${c}.ngrep.txt`, `${c}.tcpdump-A.txt`]))(
    'counts %s as tshark counts the capture',
    async (file) => {
      // Act
      const got = await scanWhole(readFixture(`tcp-cut-start-line/${file}`));

      // Assess: before, a cut line always waited for the rest (kamailio-tcp: 4 responses, cuts-15060: 60 and 68)
      const truth = TSHARK[`${file.slice(0, file.indexOf('.'))}.pcap`] as Reading;
      const { responses, requests, byCode } = got;
      expect({ responses, requests, byCode }).toEqual(truth);
    },
  );

  it('waits for the rest of the line on port 5060 only', async () => {
    // Act
    const sipPort = await scanWhole(readFixture('tcp-cut-start-line/cuts-5060.pcap'));
    const otherPort = await scanWhole(readFixture('tcp-cut-start-line/cuts-15060.pcap'));

    // Assess: the responses cut after 1 to 11 bytes (201 to 211), lost at port 15060, and the cut lines said
    expect(Object.keys(sipPort.byCode)).toContain('211');
    expect(Object.keys(otherPort.byCode)).not.toContain('211');
    expect(otherPort.byCode['212']).toBe(1);
    expect(sipPort.anomalies).toEqual({});
    expect(otherPort.anomalies['stream-garbage']).toBeGreaterThan(0);
  });

  it('gives the same result however the capture is chunked', async () => {
    // Act
    const replay = await replayAtRandomCuts(readFixture('tcp-cut-start-line/kamailio-tcp.pcap'), 4);

    // Assess
    expect(replay.whole.responses).toBe(2);
    expect(replay.differing).toEqual([]);
  });
});
