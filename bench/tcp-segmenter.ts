import type { Prng } from './prng.js';
import type { Endpoint, WireTransport } from './sip-messages.js';
import type { WireMessage } from './sip-traffic.js';

/**
 * Turns SIP messages into packets the way a TCP sender does: a message may leave in several
 * segments (cut anywhere, even between the CR and the LF), and messages written shortly after one
 * another on one connection may share a segment (Nagle). UDP messages are one datagram each.
 * The capture writer and the ngrep renderer both use it, so both show split and merged messages.
 */

/** One packet's payload and addressing. */
export interface Packet {
  readonly src: Endpoint;
  readonly dst: Endpoint;
  readonly transport: WireTransport;
  readonly timeUs: number;
  readonly payload: string;
  /** TCP PSH: the segment ends what the sender wrote (ngrep prints [AP], else [A]). */
  readonly push: boolean;
}

/** How often the segmenter split and merged messages. */
export interface SegmentStats {
  tcpMessages: number;
  splitMessages: number;
  segments: number;
  mergedSegments: number;
}

/** Ethernet MTU 1500 - IPv4 20 - TCP 20 (no options). */
export const TCP_MSS = 1460;
/** How long a sender holds a small segment back hoping to fill it (trace time). */
const NAGLE_WINDOW_US = 2000;
const SPLIT_PROBABILITY = 0.15;
const HOLD_PROBABILITY = 0.5;

const flowKey = (src: Endpoint, dst: Endpoint): string => `${src.ip}:${src.port}>${dst.ip}:${dst.port}`;

/**
 * The last offset a write may be cut at. tshark 4.0 reassembles a SIP body over TCP only when it
 * finds a "Content-Length:" header: with the compact "l:" it takes the first segment as the whole
 * message, and a body tail without a final CRLF then swallows the next message of the connection
 * (seen on this generator's own capture). Such messages are cut in their header section only, so
 * that the ground truth stays what tshark itself reports.
 */
const lastCut = (text: string): number => {
  if (!/\r\nl\s*:/i.test(text)) return text.length - 1;
  return text.indexOf('\r\n\r\n') + 2;
};

/** Feeds packets to `emit` in send order; call flush() before the output ends. */
export class Segmenter {
  readonly stats: SegmentStats = { tcpMessages: 0, splitMessages: 0, segments: 0, mergedSegments: 0 };
  private readonly held = new Map<string, { packet: Packet; deadlineUs: number }>();

  constructor(
    private readonly rng: Prng,
    private readonly emit: (p: Packet) => void,
  ) {}

  /** Sends one message. */
  push(m: WireMessage): void {
    this.release(m.timeUs);
    if (m.transport === 'udp') {
      this.emit({ src: m.src, dst: m.dst, transport: 'udp', timeUs: m.timeUs, payload: m.text, push: true });
      return;
    }
    this.stats.tcpMessages++;
    const key = flowKey(m.src, m.dst);
    const held = this.held.get(key);
    if (held !== undefined) {
      this.held.delete(key);
      if (held.packet.payload.length + m.text.length <= TCP_MSS) {
        // the held segment goes out now, with this message appended
        this.stats.mergedSegments++;
        this.send({ ...held.packet, timeUs: m.timeUs, payload: held.packet.payload + m.text });
        return;
      }
      // too big for one segment: cutting it at the MSS could cut a body (see lastCut)
      this.send({ ...held.packet, timeUs: m.timeUs });
    }
    const packet: Packet = { src: m.src, dst: m.dst, transport: 'tcp', timeUs: m.timeUs, payload: m.text, push: true };
    if (this.rng.chance(SPLIT_PROBABILITY)) {
      this.stats.splitMessages++;
      this.split(packet);
      return;
    }
    if (this.rng.chance(HOLD_PROBABILITY)) {
      this.held.set(key, { packet, deadlineUs: m.timeUs + NAGLE_WINDOW_US });
      return;
    }
    this.send(packet);
  }

  /** Sends every held segment (end of a block or of the output). */
  flush(): void {
    for (const { packet, deadlineUs } of this.held.values()) this.send({ ...packet, timeUs: deadlineUs });
    this.held.clear();
  }

  /** Sends the held segments whose wait is over before `nowUs` (Map order is hold order, so deadline order). */
  private release(nowUs: number): void {
    for (const [key, h] of this.held) {
      if (h.deadlineUs > nowUs) break;
      this.held.delete(key);
      this.send({ ...h.packet, timeUs: h.deadlineUs });
    }
  }

  /** A write cut at 1-2 random offsets (segments of one write leave back to back). */
  private split(p: Packet): void {
    const len = p.payload.length;
    const last = lastCut(p.payload);
    const cuts = new Set<number>([this.rng.int(1, last)]);
    if (this.rng.chance(0.3)) cuts.add(this.rng.int(1, last));
    const sorted = [...cuts].sort((x, y) => x - y);
    let from = 0;
    let i = 0;
    for (const cut of [...sorted, len]) {
      this.send({ ...p, payload: p.payload.slice(from, cut), push: cut === len, timeUs: p.timeUs + i++ });
      from = cut;
    }
  }

  /** Emits a segment, cut at the MSS when a merged write outgrew it. */
  private send(p: Packet): void {
    if (p.payload.length <= TCP_MSS) {
      this.stats.segments++;
      this.emit(p);
      return;
    }
    for (let from = 0; from < p.payload.length; from += TCP_MSS) {
      const to = Math.min(from + TCP_MSS, p.payload.length);
      this.stats.segments++;
      this.emit({ ...p, payload: p.payload.slice(from, to), push: p.push && to === p.payload.length });
    }
  }
}
