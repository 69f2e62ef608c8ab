/**
 * Builds the SIP transports that ride inside captures, byte by byte, for the tests of
 * lambda/engine/pcap/websocket.ts, sctp.ts and hep.ts: WebSocket frames (RFC 6455 §5.2).
 * tshark reads the captures made from them as it reads real ones (checked while writing the tests).
 */

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
