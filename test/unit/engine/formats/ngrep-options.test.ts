import { describe, expect, it } from 'vitest';
import { readFixture, scanWhole } from '../../../support/collect.js';
import { readTsharkReading, scanKpis, type TsharkReadingWithKpis } from '../../../support/tshark-counts.js';

/** ngrep's -N headers and -e -W single's empty packets (test/fixtures/ngrep-options/README.md). */
const TRUTH = readTsharkReading<TsharkReadingWithKpis>('ngrep-options/run-a.tshark.json');

describe('ngrep -N and -e -W single', () => {
  it.each([
    'run-a.ngrep-N-byline.txt.gz',
    'run-a.ngrep-N-byline-t.txt.gz',
    'run-a.ngrep-N-normal.txt.gz',
    'run-a.ngrep-N-single.txt.gz',
    'run-a.ngrep-e-single.txt.gz',
    'run-a.ngrep-e-single-noq.txt.gz',
    'run-a.pcap.gz',
  ])('counts %s as tshark counts the capture', async (file) => {
    // Act
    const got = await scanWhole(readFixture(`ngrep-options/${file}`));

    // Assess: before, -N byline was bare SIP (sipfrag 503s counted, no request), its other modes UNKNOWN_FORMAT, and
    // -e -W single lost 81 responses behind empty TCP packets
    const { responses, requests, byCode, byMethod, retransmissions } = got;
    expect({ responses, requests, byCode, byMethod, retransmissions }).toEqual({
      responses: TRUTH.responses,
      requests: TRUTH.requests,
      byCode: TRUTH.byCode,
      byMethod: TRUTH.byMethod,
      retransmissions: TRUTH.retransmissions,
    });
    expect(scanKpis(got)).toEqual({
      inviteTransactions: TRUTH.kpis.inviteTransactions,
      ser: TRUTH.kpis.ser,
      seer: TRUTH.kpis.seer,
      isa: TRUTH.kpis.isa,
    });
    // four 200s to a BYE come in two segments cut after "SIP/2.0 20": tshark gives up on them at these ports, and
    // each leaves two segments unread (the cut line, the rest)
    expect(got.anomalies).toEqual({ 'stream-garbage': 8 });
  });
});
