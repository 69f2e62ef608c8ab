import { describe, expect, it } from 'vitest';
import { RESPONSE_CLASSES } from '../../lambda/engine/types.js';
import { corpusFiles, expectedFor, normaliseByMethod, scanCorpusFile } from '../support/corpus.js';

/**
 * Every file of the shared corpus against tshark 4.0.17's ground truth
 * (`tshark -Y sip -T fields -e sip.Status-Code -e sip.CSeq.method -e sip.resend`). Never edit an
 * expected file. Files are read in odd chunk sizes so that records, lines and gzip output
 * straddle chunk boundaries.
 *
 * What it takes to count as tshark does (Wireshark's epan/dissectors/packet-sip.c and packet-tcp.c,
 * each also checked against tshark on hand-built captures):
 * - UDP: dissect_sip() and dissect_sip_heur() call dissect_sip_common() once, at offset 0, so only
 *   the first message of a datagram counts, and only if the datagram starts with a printable byte
 *   and a Request-Line or Status-Line (lambda/engine/pcap/sip-datagram.ts).
 * - TCP: dissect_sip_tcp() loops over the reassembled bytes, so a message split over segments
 *   counts once and a segment with two messages counts twice; a retransmitted segment is not
 *   handed to SIP again (tcp.no_subdissector_on_error defaults to TRUE), so each byte counts once
 *   (lambda/engine/pcap/tcp-reassembly.ts).
 * - ICMP errors: the quoted datagram is dissected and counts, but sip_is_packet_resend() returns 0
 *   when pinfo->flags.in_error_pkt and records nothing (lambda/engine/pcap/icmp.ts).
 * - sip.resend is per (Call-ID, source, destination) over UDP only (lambda/engine/retransmissions.ts),
 *   so the same packet captured on two interfaces counts twice, the second time as a resend.
 * - Text logs are framed by Content-Length, so the status lines inside sipfrag and chat bodies
 *   (`status_lines_inside_bodies_not_counted`) never count.
 */
describe('shared corpus', () => {
  const ODD_CHUNK_BYTES = [65_537, 4_099, 1 << 20];
  for (const [i, file] of corpusFiles().entries()) {
    it(`counts ${file} exactly as tshark does`, async () => {
      // Prepare
      const expected = expectedFor(file);

      // Act
      const r = await scanCorpusFile(file, ODD_CHUNK_BYTES[i % ODD_CHUNK_BYTES.length]);

      // Assess
      expect(r.byClass).toEqual(expected.responses_by_class);
      expect(r.byCode).toEqual(expected.responses_by_code);
      expect(normaliseByMethod(r.byMethod)).toEqual(normaliseByMethod(expected.responses_by_method));
      expect(r.responses).toBe(expected.responses);
      if (expected.messages !== null) expect(r.messages).toBe(expected.messages);
      if (expected.requests !== undefined) expect(r.requests).toBe(expected.requests);
      if (expected.retransmissions) {
        expect(r.retransmissions).toEqual({
          requests: expected.retransmissions.requests,
          responses: expected.retransmissions.responses,
        });
      }
      if (expected.requests_by_method) expect(r.requestsByMethod).toEqual(expected.requests_by_method);
      if (expected.responses_by_class_excluding_retransmissions) {
        const excluding = Object.fromEntries(
          RESPONSE_CLASSES.map((c) => [c, r.byClass[c] - r.retransmittedByClass[c]]),
        );
        expect(excluding).toEqual(expected.responses_by_class_excluding_retransmissions);
      }
    });
  }
});
