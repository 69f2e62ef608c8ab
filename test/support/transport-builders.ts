/**
 * Builds the SIP transports that ride inside captures, byte by byte, for the tests of
 * lambda/engine/pcap/websocket.ts, sctp.ts and hep.ts: WebSocket frames (RFC 6455 §5.2), SCTP
 * packets with DATA and I-DATA chunks (RFC 9260, RFC 8260), HEP v2 and v3 packets (HEP3_rev12).
 * tshark reads the captures made from them as it reads real ones (checked while writing the tests).
 */

import { addressBytes } from './pcap-builder.js';

/** Options of one WebSocket frame. */
export interface WsFrameOptions {
  /** Last frame of its message (default true). */
  readonly fin?: boolean;
  /** Masking key: client frames are masked (RFC 6455 §5.3); none for server frames. */
  readonly mask?: readonly [number, number, number, number];
  /** The RSV1 bit, permessage-deflate's "compressed" flag (RFC 7692 §6). */
  readonly rsv1?: boolean;
}

/** WebSocket opcodes (RFC 6455 §5.2). */
export const WS_OPCODE = { CONTINUATION: 0, TEXT: 1, BINARY: 2, CLOSE: 8, PING: 9, PONG: 10 } as const;

/** One WebSocket frame, with the shortest length encoding for its payload. */
export const wsFrame = (opcode: number, payload: Buffer | string, o: WsFrameOptions = {}): Buffer => {
  const data = Buffer.from(payload);
  const n = data.length;
  const lengthBytes = n < 126 ? 0 : n < 65_536 ? 2 : 8;
  const h = Buffer.alloc(2 + lengthBytes + (o.mask ? 4 : 0));
  h[0] = ((o.fin ?? true) ? 0x80 : 0) | (o.rsv1 ? 0x40 : 0) | opcode;
  h[1] = (o.mask ? 0x80 : 0) | (lengthBytes === 0 ? n : lengthBytes === 2 ? 126 : 127);
  if (lengthBytes === 2) h.writeUInt16BE(n, 2);
  if (lengthBytes === 8) h.writeBigUInt64BE(BigInt(n), 2);
  if (!o.mask) return Buffer.concat([h, data]);
  const key = o.mask;
  h.set(key, 2 + lengthBytes);
  const masked = Buffer.from(data.map((b, i) => b ^ (key[i % 4] ?? 0)));
  return Buffer.concat([h, masked]);
};

/** A client's opening handshake (RFC 6455 §4.1, RFC 7118 §4.1: subprotocol "sip"). */
export const WS_UPGRADE_REQUEST = [
  'GET / HTTP/1.1',
  'Host: sip-ws.example.com',
  'Upgrade: websocket',
  'Connection: Upgrade',
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
  'Sec-WebSocket-Protocol: sip',
  'Sec-WebSocket-Version: 13',
  '',
  '',
].join('\r\n');

/** The server's answer to it (RFC 6455 §4.2.2). */
export const WS_UPGRADE_RESPONSE = [
  'HTTP/1.1 101 Switching Protocols',
  'Upgrade: websocket',
  'Connection: Upgrade',
  'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=',
  'Sec-WebSocket-Protocol: sip',
  '',
  '',
].join('\r\n');

/** SCTP chunk flags of DATA and I-DATA (RFC 9260 §3.3.1, RFC 8260 §2.1). */
export const SCTP_FLAG = { END: 0x01, BEGINNING: 0x02, UNORDERED: 0x04, WHOLE: 0x03 } as const;

/** Options of a DATA chunk. */
export interface SctpDataOptions {
  /** B and E flags (default both: a whole message). */
  readonly flags?: number;
  readonly stream?: number;
  readonly ssn?: number;
  /** Payload protocol identifier (default 39, SIP). */
  readonly ppid?: number;
}

/** A chunk: type, flags, length, value, padded to 4 bytes (RFC 9260 §3.2). */
const sctpChunk = (type: number, flags: number, value: Buffer): Buffer => {
  const h = Buffer.alloc(4);
  h[0] = type;
  h[1] = flags;
  h.writeUInt16BE(4 + value.length, 2);
  return Buffer.concat([h, value, Buffer.alloc((4 - (value.length % 4)) % 4)]);
};

/** A DATA chunk (RFC 9260 §3.3.1). */
export const sctpData = (tsn: number, payload: Buffer | string, o: SctpDataOptions = {}): Buffer => {
  const v = Buffer.alloc(12);
  v.writeUInt32BE(tsn >>> 0, 0);
  v.writeUInt16BE(o.stream ?? 0, 4);
  v.writeUInt16BE(o.ssn ?? 0, 6);
  v.writeUInt32BE(o.ppid ?? 39, 8);
  return sctpChunk(0, o.flags ?? SCTP_FLAG.WHOLE, Buffer.concat([v, Buffer.from(payload)]));
};

/** An I-DATA chunk (RFC 8260 §2.1): `ppidOrFsn` is the PPID on a B fragment, the FSN on the others. */
export const sctpIData = (
  tsn: number,
  payload: Buffer | string,
  o: { readonly flags: number; readonly stream?: number; readonly mid: number; readonly ppidOrFsn: number },
): Buffer => {
  const v = Buffer.alloc(16);
  v.writeUInt32BE(tsn >>> 0, 0);
  v.writeUInt16BE(o.stream ?? 0, 4);
  v.writeUInt32BE(o.mid, 8);
  v.writeUInt32BE(o.ppidOrFsn, 12);
  return sctpChunk(64, o.flags, Buffer.concat([v, Buffer.from(payload)]));
};

/** A SACK chunk (RFC 9260 §3.3.4) without gap blocks: a chunk that carries no user data. */
export const sctpSack = (cumulativeTsn: number): Buffer => {
  const v = Buffer.alloc(12);
  v.writeUInt32BE(cumulativeTsn >>> 0, 0);
  v.writeUInt32BE(65_536, 4);
  return sctpChunk(3, 0, v);
};

const CRC32C_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC32c (RFC 9260 Appendix A), as SCTP's checksum. */
const crc32c = (b: Buffer): number => {
  let c = 0xffffffff;
  for (const byte of b) c = (CRC32C_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};

/** An SCTP packet: common header (with its CRC32c) and the given chunks. */
export const sctpPacket = (sport: number, dport: number, chunks: readonly Buffer[], verificationTag = 1): Buffer => {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt32BE(verificationTag, 4);
  const packet = Buffer.concat([h, ...chunks]);
  // RFC 9260 Appendix A: the checksum is stored little-endian
  packet.writeUInt32LE(crc32c(packet), 8);
  return packet;
};

/** What a HEP packet says about the message it carries. */
export interface HepFields {
  /** "ip" (IPv4 or IPv6 by its form). */
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  /** Original time, ms since the epoch (whole microseconds are kept). */
  readonly timeMs: number;
  /** IANA protocol number of the original transport (default 17, UDP). */
  readonly ipProtocol?: number;
}

const v4OrV6 = (a: string): Buffer => addressBytes(a);

/** One HEP3 chunk of the generic vendor (0): vendor, type, length (header included), value. */
const hepChunk = (type: number, value: Buffer): Buffer => {
  const h = Buffer.alloc(6);
  h.writeUInt16BE(0, 0);
  h.writeUInt16BE(type, 2);
  h.writeUInt16BE(6 + value.length, 4);
  return Buffer.concat([h, value]);
};

const u8 = (n: number): Buffer => Buffer.from([n]);
const u16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

/** Options of a HEP3 packet beyond its fields. */
export interface Hep3Options {
  /** Chunk 11 (default 1, SIP). */
  readonly protocolType?: number;
  /** Send the payload zlib-compressed in chunk 16 instead of chunk 15. */
  readonly compress?: (payload: Buffer) => Buffer;
}

/** A HEP3 packet (HEP3_rev12) with the usual chunks, in the order heplify writes them. */
export const hep3Packet = (f: HepFields, payload: Buffer | string, o: Hep3Options = {}): Buffer => {
  const src = v4OrV6(f.src);
  const dst = v4OrV6(f.dst);
  const v6 = src.length === 16;
  const data = Buffer.from(payload);
  const chunks = [
    hepChunk(1, u8(v6 ? 10 : 2)),
    hepChunk(2, u8(f.ipProtocol ?? 17)),
    hepChunk(v6 ? 5 : 3, src),
    hepChunk(v6 ? 6 : 4, dst),
    hepChunk(7, u16(f.srcPort)),
    hepChunk(8, u16(f.dstPort)),
    hepChunk(9, u32(Math.floor(f.timeMs / 1000))),
    hepChunk(10, u32((f.timeMs % 1000) * 1000)),
    hepChunk(11, u8(o.protocolType ?? 1)),
    hepChunk(12, u32(2001)),
    o.compress ? hepChunk(16, o.compress(data)) : hepChunk(15, data),
  ];
  const body = Buffer.concat(chunks);
  return Buffer.concat([Buffer.from('HEP3'), u16(6 + body.length), body]);
};

/** A HEP v2 packet (captagent's hep_hdr, addresses, little-endian hep_timehdr with 2 bytes of padding). */
export const hep2Packet = (f: HepFields, payload: Buffer | string): Buffer => {
  const src = v4OrV6(f.src);
  const dst = v4OrV6(f.dst);
  const h = Buffer.alloc(8);
  h[0] = 2;
  h[1] = 8 + 2 * src.length;
  h[2] = src.length === 16 ? 10 : 2;
  h[3] = f.ipProtocol ?? 17;
  h.writeUInt16BE(f.srcPort, 4);
  h.writeUInt16BE(f.dstPort, 6);
  const t = Buffer.alloc(12);
  t.writeUInt32LE(Math.floor(f.timeMs / 1000), 0);
  t.writeUInt32LE((f.timeMs % 1000) * 1000, 4);
  t.writeUInt16LE(2001, 8);
  return Buffer.concat([h, src, dst, t, Buffer.from(payload)]);
};
