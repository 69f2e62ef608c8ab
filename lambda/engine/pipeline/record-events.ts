/**
 * The scanning side of a pipelined scan: runs the real scan (scanInto: sniff, gunzip, format readers, capture
 * readers, framer, parseMessage) against a RecordingTally, and records every call it makes to the counting side
 * into event batches (event-batch.ts) instead of counting. replay-events.ts makes the same calls on the main thread.
 */
import { classifyStatusCode } from '../../contract/classes.js';
import { SipMetricsError } from '../../errors.js';
import { scanInto } from '../index.js';
import { LogClock } from '../log-clock.js';
import { MessageCounter } from '../message-counter.js';
import type { RetransmissionDetector } from '../retransmissions.js';
import { identityBytes } from '../sip-message.js';
import { Tally } from '../tally.js';
import type { AccountedResponse, AnomalyKind, PayloadMeta, SipMessage } from '../types.js';
import {
  ACC,
  arenaOffset,
  BATCH_ARENA_BYTES,
  BATCH_FLOATS,
  BATCH_INTS,
  COUNTER_KINDS,
  type CounterKind,
  type EventBatch,
  floatOffset,
  MAX_EVENT_FLOATS,
  MAX_STRINGS,
  MESSAGE_INTS,
  MSG,
  OP,
  STAMP_KINDS,
  TRANSPORTS,
} from './event-batch.js';

/** An error as it crosses from the worker: enough to throw the same class with the same code, message and context. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly context?: Record<string, unknown>;
  readonly stack?: string;
}

/** How the scanning side ended; its last batch has been emitted by then. */
export type ScanOutcome = { readonly ok: true } | { readonly ok: false; readonly error: SerializedError };

/** Receives each batch once it is full (or the scan took more input, or ended); owns `buffer` from then on. */
export type BatchSink = (batch: EventBatch) => void;

const TRANSPORT_CODE = new Map(TRANSPORTS.map((t, i) => [t, i] as const));
const STAMP_CODE = new Map(STAMP_KINDS.map((k, i) => [k, i] as const));

/** A batch holding this much is flushed when the scan asks for more input (smaller ones wait: fewer, larger posts). */
const FLUSH_INTS = BATCH_INTS / 8;
const FLUSH_ARENA_BYTES = BATCH_ARENA_BYTES / 8;
/** Input bytes after which a batch is flushed anyway, so progress reaches the caller. */
const FLUSH_INPUT_BYTES = 4 * 1024 * 1024;

/** The Tally a recorded scan fills: counts what the scan side itself reads back, records the rest. */
export class RecordingTally extends Tally {
  constructor(readonly encoder: EventEncoder) {
    // the KPI tracker is the counting side's: off here, its cost is the main thread's
    super(undefined, { kpis: false });
  }

  /**
   * A counter that records its calls, of the kind the main thread must make to replay them: the file's (its clock),
   * ICMP quotes' (their own detector; in a text log with the file's clock too), or a capture reader's own (neither).
   */
  override counter(detector?: RetransmissionDetector, clock?: LogClock): MessageCounter {
    if (clock !== undefined && clock !== this.encoder.fileClock) throw new Error('a counter with a clock of its own');
    const quoted = detector !== undefined;
    const kind: CounterKind = clock !== undefined ? (quoted ? 'file-quoted' : 'file') : quoted ? 'quoted' : 'own';
    return new RecordingCounter(this, kind, clock);
  }

  /** Recorded for the main thread, and counted here too: assertFoundSip reads the anomalies at the end. */
  override anomaly(kind: AnomalyKind, by = 1): void {
    super.anomaly(kind, by);
    this.encoder.anomaly(kind, by);
  }

  /** Counted here only (the main thread's counter counts it again when it replays the message). */
  countAnomaly(kind: AnomalyKind): void {
    super.anomaly(kind, 1);
  }
}

/** A counter of the scanning side: its messages and accounting records go into the batch, the main thread counts. */
class RecordingCounter extends MessageCounter {
  constructor(
    private readonly recording: RecordingTally,
    readonly kind: CounterKind,
    clock: LogClock | undefined,
  ) {
    // the file's clock, for the counters made from this one's (a text log's hex dumps, its ICMP quotes)
    super(recording, undefined, clock);
  }

  override message(msg: SipMessage, meta: PayloadMeta): void {
    this.recording.encoder.message(this, msg, meta);
  }

  override accounted(r: AccountedResponse): void {
    this.recording.encoder.accounted(this, r);
  }
}

/** Writes the recorded calls into batches (event-batch.ts describes the encoding). */
export class EventEncoder {
  readonly tally: RecordingTally = new RecordingTally(this);
  private buffer: ArrayBuffer | undefined;
  private intCapacity = 0;
  private floatCapacity = 0;
  private ints = new Int32Array(0);
  private floats = new Float64Array(0);
  private arena = Buffer.alloc(0);
  private ni = 0;
  private nf = 0;
  private na = 0;
  private readonly strings = new Map<string, number>();
  private newStrings: string[] = [];
  private resetStrings = false;
  private readonly counters = new Map<RecordingCounter, number>();
  private formatsSent = 0;
  private unrecognizedSent = 0;
  private bytesSent = 0;
  /** Batch buffers handed back by the consumer, for reuse. */
  private readonly free: ArrayBuffer[] = [];

  constructor(
    private readonly emit: BatchSink,
    /** The clock the scan gives its file's counter (Tally.counter): it tells that counter from the others. */
    readonly fileClock: LogClock,
  ) {}

  /** Gives a batch's buffer back once it was replayed (it is reused for a later batch). */
  recycle(buffer: ArrayBuffer): void {
    if (buffer.byteLength === BATCH_BYTES && this.free.length < 4) this.free.push(buffer);
  }

  /** MessageCounter.message of `counter`. */
  message(counter: RecordingCounter, msg: SipMessage, meta: PayloadMeta): void {
    const id = this.counterId(counter);
    const b = identityBytes(msg);
    const callLen = b.callIdStart < 0 ? -1 : b.callIdEnd - b.callIdStart;
    const viaLen = b.viaStart < 0 ? -1 : b.viaEnd - b.viaStart;
    const dateLen = b.dateStart < 0 ? -1 : b.dateEnd - b.dateStart;
    this.room(MESSAGE_INTS, MAX_EVENT_FLOATS, Math.max(0, callLen) + Math.max(0, viaLen) + Math.max(0, dateLen));
    const transport = TRANSPORT_CODE.get(meta.transport);
    if (transport === undefined) throw new Error(`unknown transport ${String(meta.transport)}`);
    let flags = transport << MSG.transportShift;
    if (msg.kind === 'response') flags |= MSG.response;
    if (msg.viaTransport !== undefined) flags |= ((TRANSPORT_CODE.get(msg.viaTransport) ?? 5) + 1) << MSG.viaShift;
    const floats = this.floats;
    if (msg.statusCode !== undefined) {
      flags |= MSG.statusCode;
      floats[this.nf++] = msg.statusCode;
    }
    if (msg.cseqNumber !== undefined) {
      flags |= MSG.cseqNumber;
      floats[this.nf++] = msg.cseqNumber;
    }
    if (meta.timeMs !== undefined) {
      flags |= MSG.timeMs;
      floats[this.nf++] = meta.timeMs;
    }
    if (meta.stamp !== undefined) {
      flags |= ((STAMP_CODE.get(meta.stamp.kind) ?? 0) + 1) << MSG.stampShift;
      floats[this.nf++] = meta.stamp.wallMs;
    }
    const ints = this.ints;
    let i = this.ni;
    ints[i++] = OP.message;
    ints[i++] = id;
    ints[i++] = flags;
    ints[i++] = this.stringId(msg.method);
    ints[i++] = this.stringId(msg.cseqMethod);
    ints[i++] = this.stringId(meta.src);
    ints[i++] = this.stringId(meta.dst);
    ints[i++] = callLen;
    ints[i++] = viaLen;
    // the branch lies inside the top Via (sip-message.ts findBranch): an offset into it
    ints[i++] = b.branchStart < 0 ? -1 : b.branchStart - b.viaStart;
    ints[i++] = b.branchStart < 0 ? -1 : b.branchEnd - b.branchStart;
    ints[i++] = dateLen;
    this.ni = i;
    if (callLen > 0) this.put(b.buf, b.callIdStart, b.callIdEnd);
    if (viaLen > 0) this.put(b.buf, b.viaStart, b.viaEnd);
    if (dateLen > 0) this.put(b.buf, b.dateStart, b.dateEnd);
    // what the counter would have done to the counts the scan side reads back (tcp-reassembly.ts asks whether
    // a segment made a message count; assertFoundSip whether anything of SIP was found)
    const t = this.tally;
    if (msg.kind === 'request') {
      if (msg.cseqNumber === undefined || msg.cseqMethod === undefined) t.countAnomaly('missing-cseq');
      t.requests++;
    } else if (msg.statusCode === undefined) {
      t.countAnomaly('truncated-status-line');
    } else {
      if (msg.cseqMethod === undefined) t.countAnomaly('missing-cseq');
      if (classifyStatusCode(msg.statusCode) === null) t.countAnomaly('invalid-status-code');
      else t.responses++;
    }
  }

  /** MessageCounter.accounted of `counter`. */
  accounted(counter: RecordingCounter, r: AccountedResponse): void {
    const id = this.counterId(counter);
    this.room(5, 2, 0);
    let flags = 0;
    this.floats[this.nf++] = r.statusCode;
    if (r.timeMs !== undefined) {
      flags |= ACC.timeMs;
      this.floats[this.nf++] = r.timeMs;
    }
    const ints = this.ints;
    let i = this.ni;
    ints[i++] = OP.accounted;
    ints[i++] = id;
    ints[i++] = flags;
    ints[i++] = this.stringId(r.cseqMethod);
    ints[i++] = this.stringId(r.callId);
    this.ni = i;
    if (classifyStatusCode(r.statusCode) === null) this.tally.countAnomaly('invalid-status-code');
    else {
      this.tally.responses++;
      this.tally.accountedResponses++;
    }
  }

  /** Tally.anomaly (from the scan side, or a counter's anomaly()). */
  anomaly(kind: AnomalyKind, by: number): void {
    this.room(3, 0, 0);
    const ints = this.ints;
    ints[this.ni++] = OP.anomaly;
    ints[this.ni++] = this.stringId(kind);
    ints[this.ni++] = by;
  }

  /** Emits the batch when it is worth a post (or always, at the end); called as the scan takes more input. */
  flush(always: boolean): void {
    const t = this.tally;
    const due =
      this.ni >= FLUSH_INTS ||
      this.na >= FLUSH_ARENA_BYTES ||
      t.bytes - this.bytesSent >= FLUSH_INPUT_BYTES ||
      (always && (this.ni > 0 || t.bytes !== this.bytesSent || t.unrecognizedBytes !== this.unrecognizedSent));
    if (!due && !(always && t.formats.size > this.formatsSent)) return;
    const formats = t.formats.size > this.formatsSent ? [...t.formats].slice(this.formatsSent) : [];
    const batch: EventBatch = {
      buffer: this.buffer ?? new ArrayBuffer(0),
      intCapacity: this.intCapacity,
      floatCapacity: this.floatCapacity,
      ints: this.ni,
      floats: this.nf,
      arenaBytes: this.na,
      resetStrings: this.resetStrings,
      strings: this.newStrings,
      formats,
      bytes: t.bytes,
      unrecognizedBytes: t.unrecognizedBytes - this.unrecognizedSent,
    };
    this.formatsSent = t.formats.size;
    this.unrecognizedSent = t.unrecognizedBytes;
    this.bytesSent = t.bytes;
    this.buffer = undefined;
    this.ni = 0;
    this.nf = 0;
    this.na = 0;
    this.newStrings = [];
    // the main thread clears its table before it reads the next batch's strings
    this.resetStrings = this.strings.size > MAX_STRINGS;
    if (this.resetStrings) this.strings.clear();
    this.emit(batch);
  }

  /** Makes room for one event, flushing the batch when it has none (a large event gets a buffer of its own size). */
  private room(ints: number, floats: number, arenaBytes: number): void {
    if (
      this.buffer !== undefined &&
      this.ni + ints <= this.intCapacity &&
      this.nf + floats <= this.floatCapacity &&
      this.na + arenaBytes <= this.arena.length
    ) {
      return;
    }
    if (this.buffer !== undefined) this.flush(true);
    const arenaCapacity = Math.max(BATCH_ARENA_BYTES, arenaBytes);
    const reused = arenaCapacity === BATCH_ARENA_BYTES ? this.free.pop() : undefined;
    this.intCapacity = BATCH_INTS;
    this.floatCapacity = BATCH_FLOATS;
    const buffer = reused ?? new ArrayBuffer(arenaOffset(BATCH_INTS, BATCH_FLOATS) + arenaCapacity);
    this.buffer = buffer;
    this.ints = new Int32Array(buffer, 0, BATCH_INTS);
    this.floats = new Float64Array(buffer, floatOffset(BATCH_INTS), BATCH_FLOATS);
    this.arena = Buffer.from(buffer, arenaOffset(BATCH_INTS, BATCH_FLOATS), arenaCapacity);
  }

  /**
   * Appends buf[start, end) to the arena. A loop: the values are tens of bytes, and Buffer#copy makes a view per
   * call (it was the recorder's largest cost).
   */
  private put(buf: Buffer, start: number, end: number): void {
    const arena = this.arena;
    let at = this.na;
    for (let i = start; i < end; i++) arena[at++] = buf[i] as number;
    this.na = at;
  }

  private stringId(s: string | undefined): number {
    if (s === undefined) return -1;
    let id = this.strings.get(s);
    if (id === undefined) {
      id = this.strings.size;
      this.strings.set(s, id);
      this.newStrings.push(s);
    }
    return id;
  }

  private counterId(counter: RecordingCounter): number {
    let id = this.counters.get(counter);
    if (id === undefined) {
      const kind = counter.kind;
      id = this.counters.size;
      this.counters.set(counter, id);
      this.room(3, 0, 0);
      this.ints[this.ni++] = OP.counter;
      this.ints[this.ni++] = id;
      this.ints[this.ni++] = COUNTER_KINDS.indexOf(kind);
    }
    return id;
  }
}

/** Bytes of a standard batch buffer. */
const BATCH_BYTES = arenaOffset(BATCH_INTS, BATCH_FLOATS) + BATCH_ARENA_BYTES;

/** The input, handing the encoder a chance to flush each time the scan asks for more. */
async function* flushingOnRead(chunks: AsyncIterable<Uint8Array>, encoder: EventEncoder): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) {
    yield chunk;
    encoder.flush(false);
  }
}

/** What of an error can cross threads (structured clone): a context that will not clone is sent as JSON. */
export const serializeError = (e: unknown): SerializedError => {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  const context = e instanceof SipMetricsError ? cloneableContext(e.context) : undefined;
  const code = e instanceof SipMetricsError ? e.code : undefined;
  return {
    name: e.name,
    message: e.message,
    stack: e.stack,
    ...(code === undefined ? {} : { code }),
    ...(context === undefined ? {} : { context }),
  };
};

const cloneableContext = (context: Readonly<Record<string, unknown>>): Record<string, unknown> => {
  try {
    return structuredClone({ ...context });
  } catch {
    return JSON.parse(JSON.stringify(context)) as Record<string, unknown>;
  }
};

/** A recording of one scan: feed it to `emit` as batches. */
export interface RecordedScan {
  readonly encoder: EventEncoder;
  /** Runs the scan side over `chunks`; resolves once the last batch was emitted. */
  run(chunks: AsyncIterable<Uint8Array>): Promise<ScanOutcome>;
}

/**
 * Scans `chunks` on this thread, counting nothing: every call to the counting side goes to `emit` in batches,
 * in order. Errors are returned (serialized), not thrown, after the last batch.
 */
export const recordScan = (emit: BatchSink): RecordedScan => {
  // the scan's clock only tells the file's counter from the others here: times are placed on the main thread
  const clock = new LogClock();
  const encoder = new EventEncoder(emit, clock);
  return {
    encoder,
    async run(chunks) {
      let outcome: ScanOutcome;
      try {
        await scanInto(encoder.tally, flushingOnRead(chunks, encoder), {}, clock);
        outcome = { ok: true };
      } catch (e) {
        outcome = { ok: false, error: serializeError(e) };
      }
      encoder.flush(true);
      return outcome;
    },
  };
};
