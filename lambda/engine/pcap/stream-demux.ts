import type { LogClock } from '../log-clock.js';
import type { MessageCounter } from '../message-counter.js';
import { payloadMeta } from '../payload-meta.js';
import type { SipFramer } from '../sip-framer.js';
import type { LineStyle } from '../sip-message.js';
import type { Tally } from '../tally.js';
import type { PayloadMeta } from '../types.js';
import { type HepReader, HepStreamReader, startsWithHep3 } from './hep.js';
import { classifyDatagram, countFirstSipMessage } from './sip-datagram.js';
import { MAX_TCP_DIRECTIONS } from './tcp-reassembly.js';
import { judgeHandshake, MAX_HANDSHAKE_BYTES, WebSocketReader } from './websocket.js';

/** What the TCP reassembler hands each direction's bytes to: the SIP framer, or this demultiplexer. */
export type StreamSink = Pick<SipFramer, 'stream' | 'endFlow' | 'resetFlow' | 'cutFlow' | 'held'>;

/** A direction that is SIP straight on TCP: by far the most common, so one shared object. */
const SIP = { kind: 'sip' } as const;

type Direction =
  | typeof SIP
  /** The first bytes could be an HTTP head: held until its blank line says what follows. */
  | { kind: 'head'; buf: Buffer }
  | { kind: 'websocket'; reader: WebSocketReader }
  /** HEP3 packets back to back (HEP3_rev12); `meta` is the segment being read, for packets without addresses. */
  | { kind: 'hep'; reader: HepStreamReader; meta: PayloadMeta };

const G = 0x47;
const H = 0x48;
const HEAD_PREFIXES = ['GET ', 'HTTP/', 'HEP3'] as const;
const CRLFCRLF = Buffer.from('\r\n\r\n');

/**
 * Decides per TCP direction, from its first bytes, what rides on it: SIP framed by Content-Length
 * (RFC 3261 §18.3), WebSocket after an HTTP Upgrade (RFC 7118), or HEP3 packets (a Homer capture
 * agent's connection to its collector), on any port. No SIP method starts with 'G' or 'H', nor
 * does "SIP/2.0", so every other direction goes to the framer after one byte test and one map
 * lookup per segment.
 */
export class StreamDemux implements StreamSink {
  private readonly directions = new Map<string, Direction>();
  private readonly wsEvents: MessageCounter;

  constructor(
    private readonly framer: SipFramer,
    private readonly tally: Tally,
    private readonly hep: HepReader,
    clock?: LogClock,
  ) {
    // SIP over WebSocket is never a retransmission (message-counter.ts looks at UDP only); in a text log's hex dumps
    // the file's clock places the times it printed
    this.wsEvents = tally.counter(undefined, clock);
  }

  stream(flow: string, buf: Buffer, start: number, end: number, meta: PayloadMeta, style: LineStyle): void {
    let d = this.directions.get(flow);
    if (d === undefined) {
      const first = buf[start];
      d = first === G || first === H ? { kind: 'head', buf: Buffer.alloc(0) } : SIP;
      this.remember(flow, d);
    }
    switch (d.kind) {
      case 'sip':
        this.framer.stream(flow, buf, start, end, meta, style);
        return;
      case 'websocket':
        d.reader.feed(buf, start, end, meta);
        return;
      case 'hep':
        d.meta = meta;
        d.reader.feed(buf, start, end);
        return;
      case 'head':
        this.head(flow, d, buf, start, end, meta, style);
        return;
    }
  }

  endFlow(flow: string): void {
    const d = this.directions.get(flow);
    this.directions.delete(flow);
    if (d?.kind === 'websocket' || d?.kind === 'hep') d.reader.end();
    else if (d?.kind === 'head') this.unrecognizedHead(d.buf);
    this.framer.endFlow(flow);
  }

  resetFlow(flow: string): void {
    const d = this.directions.get(flow);
    if (d?.kind === 'websocket' || d?.kind === 'hep') d.reader.reset();
    else if (d?.kind === 'head') {
      // a hole inside an HTTP head: what follows cannot be placed; read it as plain TCP
      this.unrecognizedHead(d.buf);
      this.directions.set(flow, SIP);
    }
    this.framer.resetFlow(flow);
  }

  /** A snaplen cut in the segment that began a message: WebSocket and HEP readers reset as after a hole. */
  cutFlow(flow: string): void {
    const d = this.directions.get(flow);
    if (d === undefined || d.kind === 'sip') this.framer.cutFlow(flow);
    else this.resetFlow(flow);
  }

  /** What the SIP framer holds of the direction (the readers of other directions keep their own). */
  held(flow: string): number {
    const d = this.directions.get(flow);
    return d === undefined || d.kind === 'sip' ? this.framer.held(flow) : 0;
  }

  /** Bounded like the reassembler, which ends every direction it forgets (so this rarely acts). */
  private remember(flow: string, d: Direction): void {
    if (this.directions.size >= MAX_TCP_DIRECTIONS) {
      const oldest = this.directions.keys().next().value;
      if (oldest !== undefined) this.endFlow(oldest);
    }
    this.directions.set(flow, d);
  }

  /** Holds the first bytes of a direction until they are known to be an HTTP head or not. */
  private head(
    flow: string,
    d: { kind: 'head'; buf: Buffer },
    buf: Buffer,
    start: number,
    end: number,
    meta: PayloadMeta,
    style: LineStyle,
  ): void {
    const data = Buffer.concat([d.buf, buf.subarray(start, end)]);
    const text = data.toString('latin1', 0, Math.min(data.length, 8));
    if (startsWithHep3(data, 0, data.length)) {
      this.startHep(flow, data, meta);
      return;
    }
    const couldBeHead = HEAD_PREFIXES.some((p) => p.startsWith(text.slice(0, p.length)));
    // only the first MAX_HANDSHAKE_BYTES decide, so that the verdict is the same for every chunking
    const blank = couldBeHead ? data.subarray(0, MAX_HANDSHAKE_BYTES).indexOf(CRLFCRLF) : -1;
    if (couldBeHead && blank < 0 && data.length < MAX_HANDSHAKE_BYTES) {
      d.buf = data;
      return;
    }
    if (blank >= 0 && judgeHandshake(data.toString('latin1', 0, blank + 2)) === 'websocket') {
      const reader = new WebSocketReader({
        message: (payload, m) => this.wsMessage(payload, m),
        anomaly: (kind) => this.tally.anomaly(kind),
        unrecognized: (bytes) => {
          this.tally.unrecognizedBytes += bytes;
        },
      });
      this.directions.set(flow, { kind: 'websocket', reader });
      reader.feed(data, blank + CRLFCRLF.length, data.length, meta);
      return;
    }
    // not a WebSocket handshake (plain HTTP, or bytes that only began like it): the framer decides
    this.directions.set(flow, SIP);
    this.framer.stream(flow, data, 0, data.length, meta, style);
  }

  /** A HEP connection: each packet is counted with the addresses and time it carries. */
  private startHep(flow: string, data: Buffer, meta: PayloadMeta): void {
    const d: { kind: 'hep'; reader: HepStreamReader; meta: PayloadMeta } = {
      kind: 'hep',
      meta,
      reader: new HepStreamReader(
        {
          packet: (buf, start, end) => this.hep.packet3(buf, start, end, d.meta),
          anomaly: (kind) => this.tally.anomaly(kind),
          unrecognized: (bytes) => {
            this.tally.unrecognizedBytes += bytes;
          },
        },
        'truncated-message',
      ),
    };
    this.directions.set(flow, d);
    d.reader.feed(data, 0, data.length);
  }

  /** RFC 7118 §5: one SIP message per WebSocket message; tshark dissects it once, like a datagram. */
  private wsMessage(payload: Buffer, meta: PayloadMeta): void {
    const verdict = classifyDatagram(payload, 0, payload.length);
    if (verdict !== 'sip') {
      if (verdict === 'other') this.tally.unrecognizedBytes += payload.length;
      return;
    }
    const wsMeta = payloadMeta('ws', meta.src, meta.dst, meta.timeMs, meta.stamp, meta.srcId, meta.dstId);
    countFirstSipMessage(this.wsEvents, payload, 0, payload.length, wsMeta);
  }

  private unrecognizedHead(buf: Buffer): void {
    this.tally.unrecognizedBytes += buf.length;
  }
}
