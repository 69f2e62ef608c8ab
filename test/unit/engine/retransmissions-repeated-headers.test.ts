import { describe, expect, it } from 'vitest';
import { scan } from '../../../lambda/engine/index.js';
import { chunked, readFixture } from '../../support/collect.js';

/** sipsak -U's REGISTERs with two Call-IDs (test/fixtures/sipsak/README.md): resends keyed as tshark keys them. */
describe('a message with two Call-ID headers', () => {
  it.each(['usrloc-two-call-ids.pcap', 'usrloc-two-call-ids.ngrep.txt'])(
    'is judged a resend by its last Call-ID, as tshark judges it (%s)',
    async (name) => {
      // Prepare
      const bytes = readFixture(`sipsak/${name}`);

      // Act
      const got = await scan(chunked(bytes, [1000]));

      // Assess: tshark -e sip.resend marks 10 of the 12 REGISTERs; before, 11 (the first Call-ID keyed the check)
      expect([got.requests, got.responses, got.retransmissions]).toEqual([12, 1, { requests: 10, responses: 0 }]);
      expect(got.anomalies).toEqual({});
    },
  );
});
