import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { scan } from '../../../../lambda/engine/index.js';
import { chunked, readFixture } from '../../../support/collect.js';
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
import { response, sipMessage } from '../../../support/sip-samples.js';
import { WS_OPCODE, WS_UPGRADE_REQUEST, WS_UPGRADE_RESPONSE, wsFrame } from '../../../support/transport-builders.js';

/** tshark's reading of websocket.pcap, committed beside it so that CI needs no tshark. */
interface TsharkTruth {
  readonly responses: readonly { readonly frame: number; readonly statusCode: number; readonly method: string }[];
}

const truth = JSON.parse(readFixture('pcap/websocket.tshark.json').toString('utf8')) as TsharkTruth;

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

const CLIENT = '192.0.2.10';
const SERVER = '198.51.100.20';
const MASK = [0x37, 0xfa, 0x21, 0x3d] as const;

/** TCP's usual segment size on Ethernet. */
const MSS = 1460;

/** One TCP connection (SYN both ways, then each payload in its own segments, then FIN both ways). */
const connection = (segments: readonly { readonly fromClient: boolean; readonly data: Buffer | string }[]): Buffer => {
  const seq = { client: 1000, server: 5000 };
  const packets: CapturedPacket[] = [];
  const send = (fromClient: boolean, flags: number, data: Buffer | string = ''): void => {
    const side = fromClient ? 'client' : 'server';
    const [src, dst, sport, dport] = fromClient ? [CLIENT, SERVER, 50_000, 8080] : [SERVER, CLIENT, 8080, 50_000];
    packets.push({ data: ethernet(tcpPacket(src, dst, sport, dport, seq[side], flags, data)) });
    seq[side] += Buffer.byteLength(data) + ((flags & (FLAGS.SYN | FLAGS.FIN)) !== 0 ? 1 : 0);
  };
  send(true, FLAGS.SYN);
  send(false, FLAGS.SYN);
  for (const s of segments) {
    const data = Buffer.from(s.data);
    for (let at = 0; at < data.length; at += MSS) send(s.fromClient, FLAGS.PSH, data.subarray(at, at + MSS));
  }
  send(true, FLAGS.FIN);
  send(false, FLAGS.FIN);
  return pcapFile(packets);
};

const ok = (cseq: string): string => response(200, 'OK', cseq, 'ws@example.com');
const options = sipMessage('OPTIONS sip:bob@example.com SIP/2.0', [
  'Via: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bKws1',
  'From: <sip:alice@example.com>;tag=a',
  'To: <sip:bob@example.com>',
  'Call-ID: ws@example.com',
  'CSeq: 1 OPTIONS',
]);

describe('SIP over WebSocket in captures', () => {
  it('counts the responses tshark counts in a real ws capture (text, binary, fragments, pings, a 70 kB frame)', () => {
    // Prepare
    const file = readFixture('pcap/websocket.pcap');

    // Act
    const { result } = readCapture(file);

    // Assess: the 603 that shares a WebSocket message with the 202 is not SIP to tshark (RFC 7118
    // §5: one message per WebSocket message) and is left unrecognised: 214 bytes
    expect(truth.responses.length).toBe(16);
    expect(countsOf(result)).toEqual({
      requests: { INVITE: 6, ACK: 4, MESSAGE: 1 },
      responses: tsharkByMethod(),
      retransmissions: { requests: 0, responses: 0 },
      anomalies: {},
      unrecognizedBytes: 214,
    });
    expect(Object.keys(result.byPeer)).toEqual(['127.0.0.1']);
  });

  it('gives the same counts at every chunk size and gzipped', async () => {
    // Prepare
    const file = readFixture('pcap/websocket.pcap');
    const expected = countsOf(readCapture(file).result);

    // Act
    const seen = [1, 7, 64, 333, 1500, 4096].map((size) => countsOf(readCapture(file, size).result));
    const gzipped = await scan(chunked(gzipSync(file), [10, 1000, 5000]));

    // Assess
    expect(seen).toEqual(Array.from({ length: 6 }, () => expected));
    expect([countsOf(gzipped), [...gzipped.formats]]).toEqual([expected, ['gzip', 'pcap']]);
  });

  it('reads masked frames, a 64-bit length, and a message fragmented around a ping, on any port', () => {
    // Prepare
    const big = sipMessage(
      'MESSAGE sip:bob@example.com SIP/2.0',
      ['Call-ID: big@example.com', 'CSeq: 2 MESSAGE', 'Content-Type: text/plain'],
      'y'.repeat(66_000),
    );
    const reply = Buffer.from(ok('2 MESSAGE'));
    const file = connection([
      { fromClient: true, data: WS_UPGRADE_REQUEST },
      { fromClient: false, data: WS_UPGRADE_RESPONSE },
      { fromClient: true, data: wsFrame(WS_OPCODE.TEXT, options, { mask: MASK }) },
      { fromClient: false, data: wsFrame(WS_OPCODE.TEXT, ok('1 OPTIONS')) },
      { fromClient: true, data: wsFrame(WS_OPCODE.TEXT, big, { mask: MASK }) },
      {
        fromClient: false,
        data: Buffer.concat([
          wsFrame(WS_OPCODE.BINARY, reply.subarray(0, 30), { fin: false }),
          wsFrame(WS_OPCODE.PING, 'hi'),
          wsFrame(WS_OPCODE.CONTINUATION, reply.subarray(30, 31), { fin: false }),
          wsFrame(WS_OPCODE.CONTINUATION, reply.subarray(31)),
        ]),
      },
      { fromClient: true, data: wsFrame(WS_OPCODE.PONG, 'hi', { mask: MASK }) },
      { fromClient: true, data: wsFrame(WS_OPCODE.CLOSE, Buffer.from([0x03, 0xe8]), { mask: MASK }) },
    ]);

    // Act
    const { result } = readCapture(file);

    // Assess
    expect(countsOf(result)).toEqual({
      ...NO_COUNTS,
      requests: { OPTIONS: 1, MESSAGE: 1 },
      responses: { OPTIONS: { '200': 1 }, MESSAGE: { '200': 1 } },
    });
    expect(Object.keys(result.byPeer)).toEqual([SERVER]);
  });

  it('skips a compressed (RSV1) message and reads on after it', () => {
    // Prepare: permessage-deflate data cannot be read without its shared window
    const compressed = Buffer.from('not really deflate');
    const file = connection([
      { fromClient: false, data: WS_UPGRADE_RESPONSE },
      { fromClient: false, data: wsFrame(WS_OPCODE.TEXT, compressed, { rsv1: true }) },
      { fromClient: false, data: wsFrame(WS_OPCODE.TEXT, ok('1 OPTIONS')) },
    ]);

    // Act
    const { result } = readCapture(file);

    // Assess
    expect(countsOf(result)).toEqual({
      ...NO_COUNTS,
      responses: { OPTIONS: { '200': 1 } },
      unrecognizedBytes: compressed.length,
    });
  });

  it('stops reading a direction at a reserved opcode, as its frame boundaries are lost', () => {
    // Prepare
    const bad = wsFrame(3, 'xyz');
    const after = wsFrame(WS_OPCODE.TEXT, ok('1 OPTIONS'));
    const file = connection([
      { fromClient: false, data: WS_UPGRADE_RESPONSE },
      { fromClient: false, data: Buffer.concat([bad, after]) },
    ]);

    // Act
    const { result } = readCapture(file);

    // Assess: the 3 payload bytes of the bad frame and the whole frame after it
    expect(countsOf(result)).toEqual({
      ...NO_COUNTS,
      anomalies: { 'malformed-packet': 1 },
      unrecognizedBytes: 3 + after.length,
    });
  });

  it('reports a message the capture ends in as truncated', () => {
    // Prepare
    const frame = wsFrame(WS_OPCODE.TEXT, ok('1 OPTIONS'));
    const file = connection([
      { fromClient: false, data: WS_UPGRADE_RESPONSE },
      { fromClient: false, data: frame.subarray(0, 40) },
    ]);

    // Act
    const { result } = readCapture(file);

    // Assess
    expect(countsOf(result)).toEqual({ ...NO_COUNTS, anomalies: { 'truncated-message': 1 } });
  });

  it('leaves plain HTTP (no Upgrade) to the SIP framer, which finds no SIP in it', () => {
    // Prepare
    const get = 'GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n';
    const file = connection([{ fromClient: true, data: get }]);

    // Act
    const { result } = readCapture(file);

    // Assess
    expect(countsOf(result)).toEqual({
      ...NO_COUNTS,
      anomalies: { 'stream-garbage': 1 },
      unrecognizedBytes: get.length,
    });
  });
});
