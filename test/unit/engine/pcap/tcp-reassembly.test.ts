import { describe, expect, it } from 'vitest';
import { MAX_TCP_DIRECTIONS, TcpReassembler } from '../../../../lambda/engine/pcap/tcp-reassembly.js';
import { framerWithTally } from '../../../support/collect.js';
import {
  type CapturedPacket,
  countsOf,
  ethernet,
  FLAGS,
  NO_COUNTS,
  pcapFile,
  readCapture,
  tcpPacket,
} from '../../../support/pcap-builder.js';
import { invite, response } from '../../../support/sip-samples.js';

const A = '192.0.2.1';
const B = '192.0.2.2';
const ISN = 1000;
const INVITE = invite();
const RINGING = response(180, 'Ringing');
const OK = response(200, 'OK');

/** A segment from A:40000 to B:5060 whose payload starts `offset` bytes into the stream. */
const seg = (offset: number, payload: string, flags: number = FLAGS.PSH): CapturedPacket => ({
  data: ethernet(tcpPacket(A, B, 40000, 5060, ISN + 1 + offset, flags, payload)),
});
const syn: CapturedPacket = { data: ethernet(tcpPacket(A, B, 40000, 5060, ISN, FLAGS.SYN)) };

const INVITE_ONLY = { ...NO_COUNTS, requests: { INVITE: 1 } };

describe('TCP reassembly', () => {
  it('counts a message split over two segments once', () => {
    // Prepare
    const half = 100;
    const file = pcapFile([syn, seg(0, INVITE.slice(0, half)), seg(half, INVITE.slice(half))]);

    // Act
    const { result } = readCapture(file);

    // Assess
    expect(countsOf(result)).toEqual(INVITE_ONLY);
  });

  it('counts two messages in one segment twice', () => {
    // Prepare
    const file = pcapFile([syn, seg(0, RINGING + OK)]);

    // Act
    const { result } = readCapture(file);

    // Assess
    expect(countsOf(result)).toEqual({ ...NO_COUNTS, responses: { INVITE: { '180': 1, '200': 1 } } });
  });

  it('puts segments that arrive out of order back in sequence', () => {
    // Prepare: tshark 4.0 needs -o tcp.reassemble_out_of_order:TRUE to count this INVITE (see tcp-reassembly.ts)
    const third = Math.floor(INVITE.length / 3);
    const file = pcapFile([
      syn,
      seg(2 * third, INVITE.slice(2 * third)),
      seg(third, INVITE.slice(third, 2 * third)),
      seg(0, INVITE.slice(0, third)),
    ]);

    // Act
    const { result } = readCapture(file);

    // Assess
    expect(countsOf(result)).toEqual(INVITE_ONLY);
  });

  it('counts a retransmitted segment once', () => {
    // Prepare
    const file = pcapFile([syn, seg(0, INVITE), seg(0, INVITE), seg(INVITE.length, OK), seg(0, INVITE)]);

    // Act
    const { result } = readCapture(file);

    // Assess
    expect(countsOf(result)).toEqual({ ...INVITE_ONLY, responses: { INVITE: { '200': 1 } } });
  });

  it('takes only the new bytes of overlapping segments', () => {
    // Prepare
    const t1 = Math.floor(INVITE.length / 3);
    const t2 = 2 * t1;
    const file = pcapFile([syn, seg(0, INVITE.slice(0, t2)), seg(t1, INVITE.slice(t1) + OK)]);

    // Act
    const { result } = readCapture(file);

    // Assess
    expect(countsOf(result)).toEqual({ ...INVITE_ONLY, responses: { INVITE: { '200': 1 } } });
  });

  it('counts a stream-gap when a missing segment never comes and resynchronises on the next message', () => {
    // Prepare: the second half of the INVITE is lost; like tshark, the cut INVITE is not counted ('stream-cut')
    const half = 200;
    const file = pcapFile([syn, seg(0, INVITE.slice(0, half)), seg(INVITE.length, OK)]);

    // Act
    const { result } = readCapture(file);

    // Assess
    expect(countsOf(result)).toEqual({
      ...NO_COUNTS,
      responses: { INVITE: { '200': 1 } },
      anomalies: { 'stream-gap': 1, 'stream-cut': 1 },
      unrecognizedBytes: half,
    });
  });

  it('starts mid-stream at the first segment seen when the capture holds no SYN', () => {
    // Prepare: the capture begins in the middle of the INVITE
    const file = pcapFile([
      seg(50, INVITE.slice(50)),
      seg(INVITE.length, RINGING),
      seg(INVITE.length + RINGING.length, OK),
    ]);

    // Act
    const { result } = readCapture(file);

    // Assess: the cut INVITE is skipped as garbage, the responses count
    expect(countsOf(result)).toEqual({
      ...NO_COUNTS,
      responses: { INVITE: { '180': 1, '200': 1 } },
      anomalies: { 'stream-garbage': 1 },
      unrecognizedBytes: INVITE.length - 50,
    });
  });

  it('ignores retransmissions after FIN, even a retransmitted SYN, and opens a new connection for a new ISN', () => {
    // Prepare: the copy a second capture interface makes of a whole connection, then a new connection
    const connection = [syn, seg(0, INVITE), seg(INVITE.length, '', FLAGS.FIN)];
    const again: CapturedPacket[] = [
      { data: ethernet(tcpPacket(A, B, 40000, 5060, 7000, FLAGS.SYN)) },
      { data: ethernet(tcpPacket(A, B, 40000, 5060, 7001, FLAGS.PSH, OK)) },
    ];
    const file = pcapFile([...connection, ...connection, ...again]);

    // Act
    const { result } = readCapture(file);

    // Assess
    expect(countsOf(result)).toEqual({ ...INVITE_ONLY, responses: { INVITE: { '200': 1 } } });
  });

  it('frames what is queued behind a hole when RST ends the connection', () => {
    // Prepare
    const file = pcapFile([syn, seg(10, INVITE.slice(10)), seg(INVITE.length, '', FLAGS.RST)]);

    // Act
    const { result } = readCapture(file);

    // Assess: the first 10 bytes never came; the rest is garbage until a start line (none here)
    expect(countsOf(result)).toEqual({
      ...NO_COUNTS,
      anomalies: { 'stream-gap': 1, 'stream-garbage': 1 },
      unrecognizedBytes: INVITE.length - 10,
    });
  });

  it('stops framing a stream that carried 64 kB without a SIP message and only counts its bytes', () => {
    // Prepare: 100 segments of 1000 bytes of text that never forms a start line
    const junk = `${'x'.repeat(999)}\n`;
    const packets = [syn, ...Array.from({ length: 100 }, (_, i) => seg(i * 1000, junk))];

    // Act
    const { result } = readCapture(pcapFile(packets));

    // Assess
    expect([result.messages, result.unrecognizedBytes]).toEqual([0, 100_000]);
  });

  it('flushes the least recently active direction past MAX_TCP_DIRECTIONS, not the first opened', () => {
    // Prepare: 'keep' opens before 'old' but carries the first part of an INVITE after it, so 'old' is the least recent
    const { framer, tally } = framerWithTally();
    const tcp = new TcpReassembler(framer, tally);
    const data = Buffer.from(INVITE);
    const half = 100;
    const meta = { transport: 'tcp', src: `${A}:1`, dst: `${B}:2` } as const;
    tcp.segment('keep', ISN, FLAGS.SYN, data, 0, 0, 0, meta);
    tcp.segment('old', ISN, FLAGS.SYN, data, 0, 0, 0, meta);
    tcp.segment('keep', ISN + 1, 0, data, 0, half, half, meta);

    // Act: enough other directions to push one out, then the rest of the INVITE
    for (let i = 0; i < MAX_TCP_DIRECTIONS - 1; i++) tcp.segment(`other ${i}`, ISN, FLAGS.SYN, data, 0, 0, 0, meta);
    const trackedAfterFlush = tcp.trackedDirections;
    tcp.segment('keep', ISN + 1 + half, 0, data, half, data.length, data.length - half, meta);
    tcp.end();
    framer.end();

    // Assess: had 'keep' been flushed, its INVITE would be cut in two (an anomaly and stream garbage)
    expect(trackedAfterFlush).toBe(MAX_TCP_DIRECTIONS);
    expect(countsOf(tally.toResult())).toEqual(INVITE_ONLY);
  });

  it('follows sequence numbers across the 2^32 wrap', () => {
    // Prepare
    const { framer, tally } = framerWithTally();
    const tcp = new TcpReassembler(framer, tally);
    const data = Buffer.from(INVITE);
    const isn = 0xffffff00;
    const meta = { transport: 'tcp', src: `${A}:1`, dst: `${B}:2` } as const;

    // Act: the second part arrives first, then the part that crosses the wrap
    tcp.segment('f', isn, FLAGS.SYN, data, 0, 0, 0, meta);
    tcp.segment('f', (isn + 1 + 300) >>> 0, 0, data, 300, data.length, data.length - 300, meta);
    tcp.segment('f', isn + 1, 0, data, 0, 300, 300, meta);
    tcp.end();
    framer.end();

    // Assess
    expect(countsOf(tally.toResult())).toEqual(INVITE_ONLY);
  });

  it('hands the captured part of a segment cut by the snaplen and counts the cut once', () => {
    // Prepare: 300 of the INVITE's bytes are captured
    const full = ethernet(tcpPacket(A, B, 40000, 5060, ISN + 1, FLAGS.PSH, INVITE));
    const cut = full.subarray(0, 14 + 20 + 20 + 300);
    const file = pcapFile([syn, { data: cut, originalLength: full.length }, seg(INVITE.length, OK)]);

    // Act
    const { result } = readCapture(file);

    // Assess: the INVITE's start line and first headers count (as tshark dissects a cut message),
    // then the 200 that follows the uncaptured bytes
    expect(countsOf(result)).toEqual({
      ...INVITE_ONLY,
      responses: { INVITE: { '200': 1 } },
      anomalies: { 'truncated-capture': 1 },
    });
  });

  it('goes on counting a direction whose every segment the snaplen cut, past 64 KiB of them', () => {
    // Prepare: 400 INVITEs, one a segment, each cut 2 bytes short (a helper's capture of a live SIPp run through
    // `editcap -s 400` lost every request after ~64 KiB: the cut messages counted only when the flow was reset,
    // so the direction never looked like SIP and was given up as not SIP)
    const packets: CapturedPacket[] = [syn];
    for (let i = 0; i < 400; i++) {
      const full = ethernet(tcpPacket(A, B, 40000, 5060, ISN + 1 + i * INVITE.length, FLAGS.PSH, INVITE));
      packets.push({ data: full.subarray(0, full.length - 2), originalLength: full.length });
    }

    // Act
    const { result } = readCapture(pcapFile(packets));

    // Assess: every INVITE counts, as tshark dissects each cut segment
    expect(400 * INVITE.length).toBeGreaterThan(2 * 64 * 1024);
    expect(result.requestsByMethod).toEqual({ INVITE: 400 });
    expect(result.anomalies['truncated-capture']).toBe(400);
    expect(result.unrecognizedBytes).toBe(0);
  });
});
