import { deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { scan } from '../../../../lambda/engine/index.js';
import { chunked, readFixture } from '../../../support/collect.js';
import {
  countsOf,
  ethernet,
  FLAGS,
  NO_COUNTS,
  pcapFile,
  readCapture,
  tcpPacket,
  udpPacket,
} from '../../../support/pcap-builder.js';
import { invite, response } from '../../../support/sip-samples.js';
import { type HepFields, hep2Packet, hep3Packet } from '../../../support/transport-builders.js';

/** tshark's reading of a HEP fixture (with the sipcapture HEP dissector), committed beside it. */
interface TsharkTruth {
  readonly responses: readonly { readonly frame: number; readonly statusCode: number; readonly method: string }[];
}

const truthOf = (name: string): TsharkTruth =>
  JSON.parse(readFixture(`pcap/${name}.tshark.json`).toString('utf8')) as TsharkTruth;

/** tshark's responses as our byMethod: CSeq method -> status code -> count. */
const byMethodOf = (truth: TsharkTruth): Record<string, Record<string, number>> => {
  const out: Record<string, Record<string, number>> = {};
  for (const r of truth.responses) {
    const m = out[r.method] ?? {};
    m[String(r.statusCode)] = (m[String(r.statusCode)] ?? 0) + 1;
    out[r.method] = m;
  }
  return out;
};

/** What sngrep sent of the 122 corpus frames as HEP3: tshark's 28 responses, 16 requests, 1 resend. */
const HEP3_COUNTS = {
  ...NO_COUNTS,
  requests: { ACK: 2, INVITE: 11, REGISTER: 3 },
  responses: byMethodOf(truthOf('hep3')),
  retransmissions: { requests: 1, responses: 0 },
};

const fields: HepFields = {
  src: '203.0.113.5',
  dst: '198.51.100.9',
  srcPort: 5060,
  dstPort: 5080,
  timeMs: Date.UTC(2026, 10, 24, 13, 39, 27, 123),
};

/** A capture of HEP datagrams from an agent to a collector on port 9060. */
const hepCapture = (payloads: readonly Buffer[]): Buffer =>
  pcapFile(payloads.map((p) => ({ data: ethernet(udpPacket('10.9.9.1', '10.9.9.2', 40_000, 9060, p)) })));

describe('HEP (Homer) in captures and raw HEP3 files', () => {
  it('counts what tshark counts in a real HEP3 capture (sngrep -H), with HEP’s own addresses and times', () => {
    // Prepare
    const file = readFixture('pcap/hep3.pcap');

    // Act
    const { result } = readCapture(file);

    // Assess: the peers and minutes are those of the original packets, not the agent's or the capture's
    expect(truthOf('hep3').responses.length).toBe(28);
    expect(countsOf(result)).toEqual(HEP3_COUNTS);
    expect(Object.keys(result.byPeer).sort()).toEqual(['127.0.0.1', '::1']);
    expect(result.series.map((s) => s.minute)).toEqual(['2026-11-24T13:39:00.000Z']);
  });

  it('reads HEP v2 over IPv4 and IPv6 (tshark’s HEP2 dissector reads IPv6 packets with IPv4 offsets)', () => {
    // Prepare
    const file = readFixture('pcap/hep2.pcap');
    const tshark = truthOf('hep2');

    // Act
    const { result } = readCapture(file);

    // Assess: tshark finds the 45 responses of the 76 IPv4 packets; the 11 IPv6 packets (frames
    // 74-83 and 87) hold 5 requests and the 6 responses sent by ::1, which it misses
    expect(tshark.responses.length).toBe(45);
    expect([result.responses, result.requests, result.byPeer['::1']?.responses]).toEqual([45 + 6, 31 + 5, 6]);
    expect(result.retransmissions).toEqual({ requests: 1, responses: 0 });
    expect([result.anomalies, result.unrecognizedBytes]).toEqual([{}, 0]);
  });

  it('reads HEP3 packets sent back to back over TCP, split across segments', () => {
    // Prepare: the packets of hep3.pcap again, over one connection (tshark's HEP dissector does
    // not reassemble TCP, so hep3.pcap's truth is the reference)
    const file = readFixture('pcap/hep3-tcp.pcap');

    // Act
    const { result } = readCapture(file);

    // Assess
    expect(countsOf(result)).toEqual(HEP3_COUNTS);
  });

  it('reads a raw HEP3 file, plain or gzipped, at every chunk size', async () => {
    // Prepare: hep3.pcap's UDP payloads back to back
    const raw = readFixture('pcap/hep3.raw');

    // Act
    const whole = await scan(chunked(raw, []));
    const cut = await Promise.all(
      [1, 3, 7, 100, 4096].map(async (size) => {
        const cuts = Array.from({ length: Math.ceil(raw.length / size) }, (_, i) => i * size);
        return countsOf(await scan(chunked(raw, cuts)));
      }),
    );
    const gzipped = await scan(chunked(gzipSync(raw), [5, 500]));

    // Assess
    expect([countsOf(whole), whole.formats]).toEqual([HEP3_COUNTS, ['hep']]);
    expect(cut).toEqual(Array.from({ length: 5 }, () => HEP3_COUNTS));
    expect([countsOf(gzipped), gzipped.formats]).toEqual([HEP3_COUNTS, ['gzip', 'hep']]);
  });

  it('takes sender, transport and time from the HEP chunks, IPv6 and compressed payloads included', async () => {
    // Prepare: the same response twice over UDP is a retransmission; the copy over TCP is not
    const v6: HepFields = { ...fields, src: '2001:db8::5', dst: '2001:db8::9' };
    const raw = Buffer.concat([
      hep3Packet(fields, response(486, 'Busy Here')),
      hep3Packet(fields, response(486, 'Busy Here')),
      hep3Packet({ ...fields, ipProtocol: 6 }, response(486, 'Busy Here')),
      hep3Packet(v6, response(200, 'OK', '1 OPTIONS'), { compress: (b) => deflateSync(b) }),
      hep3Packet(fields, invite()),
    ]);

    // Act
    const result = await scan(chunked(raw, []));

    // Assess
    expect(countsOf(result)).toEqual({
      ...NO_COUNTS,
      requests: { INVITE: 1 },
      responses: { INVITE: { '486': 3 }, OPTIONS: { '200': 1 } },
      retransmissions: { requests: 0, responses: 1 },
    });
    expect(Object.keys(result.byPeer).sort()).toEqual(['2001:db8::5', '203.0.113.5']);
    expect(result.series.map((s) => s.minute)).toEqual(['2026-11-24T13:39:00.000Z']);
  });

  it('leaves a HEP3 packet of another protocol type (RTCP, logs) uncounted', async () => {
    // Prepare: protocol type 5 is RTCP (as JSON); even a SIP-looking payload is not SIP then
    const payload = response(200, 'OK');
    const raw = hep3Packet(fields, payload, { protocolType: 5 });

    // Act
    const result = await scan(chunked(raw, []));

    // Assess
    expect(countsOf(result)).toEqual({ ...NO_COUNTS, unrecognizedBytes: payload.length });
  });

  it('skips bytes between packets of a raw file up to the next HEP3 and reports a cut last packet', async () => {
    // Prepare
    const first = hep3Packet(fields, response(180, 'Ringing'));
    const second = hep3Packet(fields, response(200, 'OK'));
    const junk = Buffer.from('HEP1 and other junk');
    const raw = Buffer.concat([first, junk, second, second.subarray(0, 30)]);

    // Act
    const results = await Promise.all(
      [[], [first.length + 2], [first.length + 17, first.length + 20]].map((cuts) => scan(chunked(raw, cuts))),
    );

    // Assess: the same for every chunking
    expect(results.map(countsOf)).toEqual(
      Array.from({ length: 3 }, () => ({
        ...NO_COUNTS,
        responses: { INVITE: { '180': 1, '200': 1 } },
        anomalies: { 'stream-garbage': 1, 'truncated-capture': 1 },
        unrecognizedBytes: junk.length + 30,
      })),
    );
  });

  it('reads HEP v2 and v3 datagrams side by side, and counts a broken HEP3 chunk as a malformed packet', () => {
    // Prepare: a chunk length of 2 is below the chunk header's size
    const broken = Buffer.from(hep3Packet(fields, response(500, 'Server Internal Error')));
    broken.writeUInt16BE(2, 10);
    const file = hepCapture([
      hep3Packet(fields, response(100, 'Trying')),
      hep2Packet(fields, response(183, 'Session Progress')),
      hep2Packet({ ...fields, src: '2001:db8::7', dst: '2001:db8::9' }, response(603, 'Decline')),
      broken,
    ]);

    // Act
    const { result } = readCapture(file);

    // Assess: tshark (sipcapture's hep.lua) finds the 100 and the 183; it misreads the IPv6 HEP v2
    // packet with IPv4 offsets and the broken one, which it does not flag
    expect(countsOf(result)).toEqual({
      ...NO_COUNTS,
      responses: { INVITE: { '100': 1, '183': 1, '603': 1 } },
      anomalies: { 'malformed-packet': 1 },
    });
    expect(Object.keys(result.byPeer).sort()).toEqual(['2001:db8::7', '203.0.113.5']);
  });

  it('does not take a datagram that only starts like HEP v2 for HEP', () => {
    // Prepare: version 2, family 2, but what follows the header is no SIP
    const notHep = Buffer.from([
      2, 16, 2, 17, 0, 1, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 9, 1, 1, 1, 1, 0, 0, 0, 0, 7,
    ]);
    const file = pcapFile([{ data: ethernet(udpPacket('10.9.9.1', '10.9.9.2', 40_000, 9060, notHep)) }]);

    // Act
    const { result } = readCapture(file);

    // Assess
    expect(countsOf(result)).toEqual({ ...NO_COUNTS, unrecognizedBytes: notHep.length });
  });

  it('reports a HEP TCP connection that ends inside a packet', () => {
    // Prepare
    const packet = hep3Packet(fields, response(200, 'OK'));
    const [a, b] = ['10.9.9.1', '10.9.9.2'];
    const file = pcapFile([
      { data: ethernet(tcpPacket(a, b, 40_000, 9060, 100, FLAGS.SYN)) },
      {
        data: ethernet(tcpPacket(a, b, 40_000, 9060, 101, FLAGS.PSH, Buffer.concat([packet, packet.subarray(0, 20)]))),
      },
    ]);

    // Act
    const { result } = readCapture(file);

    // Assess
    expect(countsOf(result)).toEqual({
      ...NO_COUNTS,
      responses: { INVITE: { '200': 1 } },
      anomalies: { 'truncated-message': 1 },
      unrecognizedBytes: 20,
    });
  });
});
