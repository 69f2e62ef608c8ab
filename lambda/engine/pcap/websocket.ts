import { MAX_MESSAGE_BYTES } from '../sip-framer.js';
import type { AnomalyKind, PayloadMeta } from '../types.js';

/**
 * WebSocket (RFC 6455) as SIP uses it (RFC 7118): the opening handshake is an HTTP/1.1 Upgrade,
 * then each direction is a sequence of frames. One WebSocket message (a text or binary frame, or
 * such a frame and its continuation frames) carries one SIP message (RFC 7118 §5). Client frames
 * are masked (RFC 6455 §5.3); control frames (close, ping, pong) may come between the fragments of
 * a message and carry no SIP.
 */

const OPCODE_CONTINUATION = 0x0;
const OPCODE_TEXT = 0x1;
const OPCODE_BINARY = 0x2;
/** Opcodes from here up are control frames (close 0x8, ping 0x9, pong 0xa). */
const OPCODE_CLOSE = 0x8;
const OPCODE_PONG = 0xa;
/** RFC 6455 §5.5: control frames carry at most 125 bytes and are never fragmented. */
const MAX_CONTROL_PAYLOAD = 125;
/** 2 bytes, 8 bytes of extended length, 4 of masking key. */
const MAX_FRAME_HEADER_BYTES = 14;
/** The HTTP head of an opening handshake is a few hundred bytes; past this it is no handshake. */
export const MAX_HANDSHAKE_BYTES = 16 * 1024;

/** Where complete WebSocket messages and problems go. */
export interface WebSocketEvents {
  /** One whole message (its own buffer), with the meta of the segment that completed it. */
  message(payload: Buffer, meta: PayloadMeta): void;
  anomaly(kind: AnomalyKind): void;
  unrecognized(bytes: number): void;
}

/** What an HTTP head [start, end) (without its blank line) says about a WebSocket upgrade. */
export type HandshakeVerdict = 'websocket' | 'not-websocket';

const UPGRADE_WEBSOCKET = /^upgrade[ \t]*:[ \t]*websocket[ \t]*$/im;

/**
 * RFC 6455 §4.1 and §4.2.2: the client sends `GET ... HTTP/1.1` with `Upgrade: websocket`, the
 * server answers `HTTP/1.1 101` with the same header. Each direction is judged on its own head, so
 * the two need not be matched (the capture may hold only one direction).
 */
export const judgeHandshake = (head: string): HandshakeVerdict => {
  const requestOrStatus = head.startsWith('GET ') || /^HTTP\/1\.[01] 101[ \r\n]/.test(head);
  return requestOrStatus && UPGRADE_WEBSOCKET.test(head) ? 'websocket' : 'not-websocket';
};

/** Push parser of one direction's WebSocket frames (after the handshake). */
export class WebSocketReader {
  private readonly header = Buffer.alloc(MAX_FRAME_HEADER_BYTES);
  private headerBytes = 0;
  /** Payload bytes of the current frame still to come; -1 between frames. */
  private payloadLeft = -1;
  private readonly mask = Buffer.alloc(4);
  private masked = false;
  private maskOffset = 0;
  private frameOpcode = 0;
  private frameFin = false;
  /** The current frame's payload belongs to a message being collected. */
  private collecting = false;
  /** A data message is open (its first frame had no FIN). */
  private inMessage = false;
  /** The open message cannot be read (compressed, or too large): its bytes are skipped. */
  private skippingMessage = false;
  private parts: Buffer[] = [];
  private messageBytes = 0;
  /** The framing was lost (a protocol error or a hole in the stream): the rest is not read. */
  private lost = false;

  constructor(private readonly events: WebSocketEvents) {}

  /** Bytes [start, end) of the direction's stream, in order. */
  feed(buf: Buffer, start: number, end: number, meta: PayloadMeta): void {
    let pos = start;
    while (pos < end) {
      if (this.lost) {
        this.events.unrecognized(end - pos);
        return;
      }
      if (this.payloadLeft < 0) {
        pos = this.readHeader(buf, pos, end);
        if (this.lost) continue;
        if (this.payloadLeft < 0) return; // the header is still incomplete
        if (this.payloadLeft === 0) this.frameDone(meta);
        continue;
      }
      const n = Math.min(this.payloadLeft, end - pos);
      if (this.collecting) this.collect(buf, pos, n);
      else if (this.skippingMessage) this.events.unrecognized(n);
      pos += n;
      this.payloadLeft -= n;
      if (this.payloadLeft === 0) this.frameDone(meta);
    }
  }

  /** A hole in the stream: frame boundaries are unknown from here on. */
  reset(): void {
    if (this.lost) return;
    this.lost = true;
    if (this.inMessage || this.payloadLeft > 0 || this.headerBytes > 0) this.events.anomaly('truncated-message');
    this.parts = [];
  }

  /** End of the direction: a frame or message still open was cut. */
  end(): void {
    if (!this.lost && (this.inMessage || this.payloadLeft > 0 || this.headerBytes > 0)) {
      this.events.anomaly('truncated-message');
    }
    this.parts = [];
  }

  /** Copies header bytes from `pos`; once the header is whole, decodes it. Returns the new position. */
  private readHeader(buf: Buffer, pos: number, end: number): number {
    const h = this.header;
    let p = pos;
    while (p < end && this.headerBytes < 2) h[this.headerBytes++] = buf[p++] ?? 0;
    if (this.headerBytes < 2) return p;
    const b1 = h[1] ?? 0;
    const len7 = b1 & 0x7f;
    const need = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + ((b1 & 0x80) !== 0 ? 4 : 0);
    while (p < end && this.headerBytes < need) h[this.headerBytes++] = buf[p++] ?? 0;
    if (this.headerBytes < need) return p;
    this.headerBytes = 0;
    this.startFrame(need);
    return p;
  }

  /** Decodes the whole header in `this.header` and decides what the payload is. */
  private startFrame(headerLength: number): void {
    const h = this.header;
    const b0 = h[0] ?? 0;
    const b1 = h[1] ?? 0;
    const len7 = b1 & 0x7f;
    let length = len7;
    if (len7 === 126) length = h.readUInt16BE(2);
    else if (len7 === 127) length = h.readUInt32BE(2) * 2 ** 32 + h.readUInt32BE(6);
    this.masked = (b1 & 0x80) !== 0;
    if (this.masked) h.copy(this.mask, 0, headerLength - 4, headerLength);
    this.maskOffset = 0;
    this.frameFin = (b0 & 0x80) !== 0;
    // RSV1 is permessage-deflate's "compressed" bit (RFC 7692 §6); RSV2/3 belong to other extensions
    const reserved = b0 & 0x70;
    const opcode = b0 & 0x0f;
    this.frameOpcode = opcode;
    this.collecting = false;
    if (opcode >= OPCODE_CLOSE) {
      if (opcode > OPCODE_PONG || !this.frameFin || length > MAX_CONTROL_PAYLOAD) {
        this.protocolError();
        return;
      }
      this.payloadLeft = length;
      return;
    }
    // RFC 6455 §5.4: a continuation frame continues an open message; a text or binary frame opens one
    const known = opcode === OPCODE_TEXT || opcode === OPCODE_BINARY || opcode === OPCODE_CONTINUATION;
    if (!known || (opcode === OPCODE_CONTINUATION) !== this.inMessage) {
      this.protocolError();
      return;
    }
    if (opcode !== OPCODE_CONTINUATION) {
      this.parts = [];
      this.messageBytes = 0;
      this.skippingMessage = reserved !== 0;
    }
    this.inMessage = !this.frameFin;
    this.payloadLeft = length;
    if (!this.skippingMessage && this.messageBytes + length > MAX_MESSAGE_BYTES) {
      this.events.anomaly('message-too-large');
      this.events.unrecognized(this.messageBytes);
      this.skippingMessage = true;
      this.parts = [];
    }
    this.collecting = !this.skippingMessage;
  }

  /** Unmasks (RFC 6455 §5.3) and keeps n payload bytes from `pos`; a copy, as `buf` is reused. */
  private collect(buf: Buffer, pos: number, n: number): void {
    const part = Buffer.allocUnsafe(n);
    if (this.masked) {
      const m = this.mask;
      let k = this.maskOffset;
      for (let i = 0; i < n; i++) {
        part[i] = (buf[pos + i] ?? 0) ^ (m[k] ?? 0);
        k = (k + 1) & 3;
      }
      this.maskOffset = k;
    } else {
      buf.copy(part, 0, pos, pos + n);
    }
    this.parts.push(part);
    this.messageBytes += n;
  }

  private frameDone(meta: PayloadMeta): void {
    this.payloadLeft = -1;
    const dataFrame = this.frameOpcode < OPCODE_CLOSE;
    if (!dataFrame || !this.frameFin) return;
    if (this.skippingMessage) {
      this.skippingMessage = false;
      return;
    }
    const payload = this.parts.length === 1 ? (this.parts[0] ?? Buffer.alloc(0)) : Buffer.concat(this.parts);
    this.parts = [];
    this.messageBytes = 0;
    this.events.message(payload, meta);
  }

  /** Not WebSocket framing as RFC 6455 §5 allows it: frame boundaries cannot be trusted any more. */
  private protocolError(): void {
    this.events.anomaly('malformed-packet');
    this.lost = true;
    this.parts = [];
  }
}
