import { createReadStream, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scan } from '../../lambda/engine/index.js';

/**
 * The packet captures of the shared corpus against tshark 4.0.17's ground truth
 * (`tshark -Y sip -T fields -e sip.Status-Code -e sip.CSeq.method -e sip.resend`). Never edit an
 * expected file.
 *
 * What it takes to count as tshark does (Wireshark's epan/dissectors/packet-sip.c and packet-tcp.c,
 * each also checked against tshark 4.0.17 on hand-built captures):
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
 */

const CORPUS_DIR = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));

interface Expected {
  readonly messages: number;
  readonly requests: number;
  readonly responses_by_class: Record<string, number>;
  readonly responses_by_code: Record<string, number>;
  readonly responses_by_method: Record<string, Record<string, number>>;
  readonly retransmissions: { readonly requests: number; readonly responses: number };
}

const expectedFor = (file: string): Expected =>
  JSON.parse(readFileSync(`${CORPUS_DIR}expected/${file}.expected.json`, 'utf8')) as Expected;

describe('packet captures of the shared corpus', () => {
  // odd read sizes, so that records and gzip output straddle chunk boundaries
  const cases = [
    ['mixed.pcap', 65_537],
    ['sipp.pcapng', 4_099],
    ['large.pcap.gz', 1 << 20],
  ] as const;
  for (const [file, highWaterMark] of cases) {
    it(`counts ${file} exactly as tshark does`, async () => {
      // Prepare
      const expected = expectedFor(file);

      // Act
      const r = await scan(createReadStream(`${CORPUS_DIR}${file}`, { highWaterMark }));

      // Assess
      expect({
        byClass: r.byClass,
        byCode: r.byCode,
        byMethod: r.byMethod,
        retransmissions: r.retransmissions,
        requests: r.requests,
        messages: r.messages,
        anomalies: r.anomalies,
      }).toEqual({
        byClass: expected.responses_by_class,
        byCode: expected.responses_by_code,
        byMethod: expected.responses_by_method,
        retransmissions: { requests: expected.retransmissions.requests, responses: expected.retransmissions.responses },
        requests: expected.requests,
        messages: expected.messages,
        anomalies: {},
      });
    });
  }
});
