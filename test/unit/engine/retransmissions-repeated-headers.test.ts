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

/** sipsak re-sending an OPTIONS without a Call-ID, answered twice (test/fixtures/sipsak/README.md). */
describe('a message without a Call-ID header', () => {
  it.each(['no-call-id.pcap', 'no-call-id.ngrep.txt'])(
    'is judged a resend by an empty Call-ID, as tshark judges it (%s)',
    async (name) => {
      // Prepare
      const bytes = readFixture(`sipsak/${name}`);

      // Act
      const got = await scan(chunked(bytes, [333]));

      // Assess: tshark -e sip.resend marks 2 of the 3 OPTIONS and 1 of the 2 404s; before, none was judged
      expect([got.requests, got.responses, got.retransmissions]).toEqual([3, 2, { requests: 2, responses: 1 }]);
      expect(got.byMethod).toEqual({ OPTIONS: { '404': 2 } });
      expect(got.anomalies).toEqual({});
    },
  );
});
