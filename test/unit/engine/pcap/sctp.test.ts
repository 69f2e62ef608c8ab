import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { scan } from '../../../../lambda/engine/index.js';
import { chunked, readFixture } from '../../../support/collect.js';
import { countsOf, ethernet, ipv4, NO_COUNTS, pcapFile, readCapture } from '../../../support/pcap-builder.js';
import { response } from '../../../support/sip-samples.js';
import { SCTP_FLAG, sctpData, sctpIData, sctpPacket, sctpSack } from '../../../support/transport-builders.js';

/** tshark's reading of sctp.pcap, committed beside it so that CI needs no tshark. */
interface TsharkTruth {
  readonly responses: readonly { readonly frame: number; readonly statusCode: number; readonly method: string }[];
}

const truth = JSON.parse(readFixture('pcap/sctp.tshark.json').toString('utf8')) as TsharkTruth;

/** tshark's responses as our byMethod: CSeq method -> status code -> count. */
const tsharkByMethod = (): Record<string, Record<string, number>> => {
  const out: Record<string, Record<string, number>> = {};
  for (const r of truth.responses) {
    const m = out[r.method] ?? {};
    m[String(r.statusCode)] = (m[String(r.statusCode)] ?? 0) + 1;
    out[r.method] = m;
  }
  return out;
};

const SCTP = 132;
const A = '192.0.2.1';
const B = '192.0.2.2';

/** A capture of SCTP packets from B to A, one per frame. */
const sctpCapture = (packets: readonly Buffer[]): Buffer =>
  pcapFile(packets.map((p) => ({ data: ethernet(ipv4(B, A, SCTP, p)) })));

describe('SIP over SCTP in captures', () => {
  it('counts the responses tshark counts in text2pcap-made SCTP captures (PPID 39 and 0, IPv4 and IPv6)', () => {
    // Prepare
    const file = readFixture('pcap/sctp.pcap');

    // Act
    const { result } = readCapture(file);

    // Assess: SCTP is reliable, so no SIP retransmission is looked for
    expect(truth.responses.length).toBe(26);
    expect(countsOf(result)).toEqual({
      ...NO_COUNTS,
      requests: { INVITE: 10, ACK: 7, CANCEL: 3 },
      responses: tsharkByMethod(),
    });
    expect(Object.keys(result.byPeer).sort()).toEqual(['10.0.0.2', '2001:db8::2']);
  });

  it('gives the same counts at every chunk size and gzipped', async () => {
    // Prepare
    const file = readFixture('pcap/sctp.pcap');
    const expected = countsOf(readCapture(file).result);

    // Act
    const seen = [1, 5, 64, 999].map((size) => countsOf(readCapture(file, size).result));
    const gzipped = await scan(chunked(gzipSync(file), [7, 700]));

    // Assess
    expect(seen).toEqual(Array.from({ length: 4 }, () => expected));
    expect([countsOf(gzipped), [...gzipped.formats]]).toEqual([expected, ['gzip', 'pcap']]);
  });

  it('reads every DATA chunk of a packet, whatever its PPID, and skips chunks without user data', () => {
    // Prepare: tshark 4.0.17 finds the same two responses in this capture
    const binary = Buffer.from([0x01, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x08]);
    const packet = sctpPacket(5060, 5060, [
      sctpSack(99),
      sctpData(1, response(180, 'Ringing'), { ppid: 39 }),
      sctpData(2, binary, { ppid: 3 }),
      sctpData(3, response(200, 'OK'), { ppid: 0, stream: 1 }),
    ]);

    // Act
    const { result } = readCapture(sctpCapture([packet]));

    // Assess: the M3UA-like chunk is not SIP
    expect(countsOf(result)).toEqual({
      ...NO_COUNTS,
      responses: { INVITE: { '180': 1, '200': 1 } },
      unrecognizedBytes: binary.length,
    });
    expect(Object.keys(result.byPeer)).toEqual([B]);
  });

  it('reassembles a message fragmented over DATA chunks that arrive out of order, and reads a retransmitted chunk once', () => {
    // Prepare: tshark 4.0.17 counts one 486 and one 200 here too
    const busy = Buffer.from(response(486, 'Busy Here'));
    const packets = [
      sctpPacket(40_000, 5070, [sctpData(10, busy.subarray(30, 60), { flags: 0, ssn: 4 })]),
      sctpPacket(40_000, 5070, [sctpData(9, busy.subarray(0, 30), { flags: SCTP_FLAG.BEGINNING, ssn: 4 })]),
      sctpPacket(40_000, 5070, [sctpData(11, busy.subarray(60), { flags: SCTP_FLAG.END, ssn: 4 })]),
      sctpPacket(40_000, 5070, [sctpData(12, response(200, 'OK', '2 BYE'), { ssn: 5 })]),
      // the same TSN again: an SCTP retransmission, not a new message
      sctpPacket(40_000, 5070, [sctpData(12, response(200, 'OK', '2 BYE'), { ssn: 5 })]),
    ];

    // Act
    const { result } = readCapture(sctpCapture(packets));

    // Assess
    expect(countsOf(result)).toEqual({
      ...NO_COUNTS,
      responses: { INVITE: { '486': 1 }, BYE: { '200': 1 } },
    });
  });

  it('reassembles fragments whose TSNs wrap around 2^32 and reads a chunk far behind the highest TSN as a retransmission', () => {
    // Prepare: TSNs are serial numbers (RFC 9260 §3.3.1, RFC 1982)
    const ok = Buffer.from(response(200, 'OK'));
    const packets = [
      sctpPacket(5060, 5060, [sctpData(0xffff_ffff, ok.subarray(0, 50), { flags: SCTP_FLAG.BEGINNING })]),
      sctpPacket(5060, 5060, [sctpData(0, ok.subarray(50), { flags: SCTP_FLAG.END })]),
      sctpPacket(5060, 5060, [sctpData(1000, response(180, 'Ringing'))]),
      // 1001 TSNs behind the highest: a late copy, not a new message
      sctpPacket(5060, 5060, [sctpData(0xffff_ffff, response(486, 'Busy Here'))]),
    ];

    // Act
    const { result } = readCapture(sctpCapture(packets));

    // Assess
    expect(countsOf(result)).toEqual({ ...NO_COUNTS, responses: { INVITE: { '180': 1, '200': 1 } } });
  });

  it('reassembles I-DATA fragments of two messages interleaved on two streams', () => {
    // Prepare (RFC 8260): fragments are ordered by FSN within a message (stream, MID)
    const ringing = Buffer.from(response(180, 'Ringing'));
    const decline = Buffer.from(response(603, 'Decline', '1 INVITE', 'other@example.com'));
    const packet = sctpPacket(5060, 5060, [
      sctpIData(20, ringing.subarray(0, 50), { flags: SCTP_FLAG.BEGINNING, stream: 1, mid: 7, ppidOrFsn: 39 }),
      sctpIData(21, decline.subarray(0, 40), { flags: SCTP_FLAG.BEGINNING, stream: 2, mid: 7, ppidOrFsn: 39 }),
      sctpIData(22, decline.subarray(40), { flags: SCTP_FLAG.END, stream: 2, mid: 7, ppidOrFsn: 1 }),
      sctpIData(23, ringing.subarray(50), { flags: SCTP_FLAG.END, stream: 1, mid: 7, ppidOrFsn: 1 }),
    ]);

    // Act
    const { result } = readCapture(sctpCapture([packet]));

    // Assess
    expect(countsOf(result)).toEqual({ ...NO_COUNTS, responses: { INVITE: { '180': 1, '603': 1 } } });
  });

  it('counts only the first SIP message of a user message, as tshark does', () => {
    // Prepare: tshark 4.0.17 finds the 180 only (checked on a text2pcap -S capture of the same)
    const second = response(200, 'OK');
    const packet = sctpPacket(5060, 5060, [sctpData(1, response(180, 'Ringing') + second)]);

    // Act
    const { result } = readCapture(sctpCapture([packet]));

    // Assess
    expect(countsOf(result)).toEqual({
      ...NO_COUNTS,
      responses: { INVITE: { '180': 1 } },
      unrecognizedBytes: second.length,
    });
  });

  it('reports a message whose last fragment the capture lacks as truncated', () => {
    // Prepare
    const ok = Buffer.from(response(200, 'OK'));
    const packet = sctpPacket(5060, 5060, [sctpData(1, ok.subarray(0, 40), { flags: SCTP_FLAG.BEGINNING })]);

    // Act
    const { result } = readCapture(sctpCapture([packet]));

    // Assess
    expect(countsOf(result)).toEqual({ ...NO_COUNTS, anomalies: { 'truncated-message': 1 } });
  });

  it('counts a chunk that overruns its packet as a malformed packet', () => {
    // Prepare: a chunk length of 3 is below the chunk header's own size
    const packet = sctpPacket(5060, 5060, [Buffer.from([0, 3, 0, 3])]);

    // Act
    const { result } = readCapture(sctpCapture([packet]));

    // Assess
    expect(countsOf(result)).toEqual({ ...NO_COUNTS, anomalies: { 'malformed-packet': 1 } });
  });
});
