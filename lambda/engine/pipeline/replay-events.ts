/**
 * The counting side of a pipelined scan: replays the batches the scanning side recorded (record-events.ts) into a
 * real Tally through real MessageCounters, so the clock, the retransmission judge, the KPIs and every count see
 * exactly the calls a single-threaded scan makes.
 */

import {
  CorruptGzipError,
  type ErrorCode,
  SipMetricsError,
  TruncatedGzipError,
  TsharkOutputError,
  UnknownFormatError,
  UnreadableFileError,
} from '../../errors.js';
import { type ScanOptions, timedResult, withPartial } from '../index.js';
import { LogClock } from '../log-clock.js';
import type { LogStamp } from '../log-stamp.js';
import { payloadMeta } from '../payload-meta.js';
import { quotedMessageEvents } from '../pcap/icmp.js';
import { MessageRecord } from '../sip-message.js';
import { type ScanResult, Tally } from '../tally.js';
import type { AccountedResponse, AnomalyKind, PayloadMeta, SipMessage } from '../types.js';
import {
  ACC,
  arenaOffset,
  COUNTER_KINDS,
  type EventBatch,
  floatOffset,
  MESSAGE_INTS,
  MSG,
  OP,
  STAMP_KINDS,
  TRANSPORTS,
} from './event-batch.js';
import type { ScanOutcome, SerializedError } from './record-events.js';

/** Where one counter of the scan side is replayed. */
interface CounterSink {
  message(msg: SipMessage, meta: PayloadMeta): void;
  accounted?(r: AccountedResponse): void;
}

const TRANSPORT_MASK = 0b111;
const STAMP_MASK = 0b111;

/** Replays event batches into one scan's Tally; `finish()` gives what scan() would have returned or thrown. */
export class EventReplayer {
  readonly tally: Tally;
  readonly clock: LogClock;
  private readonly counters: CounterSink[] = [];
  private readonly strings: string[] = [];
  /** The replayed message: one record refilled per message, its identity bytes in the batch's arena (as the parser's). */
  private readonly record = new MessageRecord();

  constructor(private readonly opts: ScanOptions = {}) {
    this.tally = new Tally(opts.peers, { kpis: opts.kpis, detail: opts.detail });
    this.clock = new LogClock(opts);
  }

  /** Makes every call the batch recorded, in order. The batch's buffer may be reused once this returns. */
  replay(batch: EventBatch): void {
    if (batch.resetStrings) this.strings.length = 0;
    for (const s of batch.strings) this.strings.push(s);
    const ints = new Int32Array(batch.buffer, 0, batch.ints);
    const floats = new Float64Array(batch.buffer, floatOffset(batch.intCapacity), batch.floats);
    const arena = Buffer.from(batch.buffer, arenaOffset(batch.intCapacity, batch.floatCapacity), batch.arenaBytes);
    const tally = this.tally;
    let i = 0;
    let f = 0;
    let a = 0;
    while (i < ints.length) {
      const op = ints[i] ?? 0;
      if (op === OP.message) {
        const r = this.record;
        const flags = ints[i + 2] ?? 0;
        r.kind = (flags & MSG.response) !== 0 ? 'response' : 'request';
        r.method = this.string(ints[i + 3] ?? -1);
        r.cseqMethod = this.string(ints[i + 4] ?? -1);
        const via = (flags >> MSG.viaShift) & TRANSPORT_MASK;
        r.viaTransport = via === 0 ? undefined : TRANSPORTS[via - 1];
        r.statusCode = (flags & MSG.statusCode) !== 0 ? floats[f++] : undefined;
        r.cseqNumber = (flags & MSG.cseqNumber) !== 0 ? floats[f++] : undefined;
        const timeMs = (flags & MSG.timeMs) !== 0 ? floats[f++] : undefined;
        const stampCode = (flags >> MSG.stampShift) & STAMP_MASK;
        const stamp: LogStamp | undefined =
          stampCode === 0 ? undefined : { kind: STAMP_KINDS[stampCode - 1] ?? 'utc', wallMs: floats[f++] ?? 0 };
        const callLen = ints[i + 7] ?? -1;
        const viaLen = ints[i + 8] ?? -1;
        const branchOff = ints[i + 9] ?? -1;
        const branchLen = ints[i + 10] ?? -1;
        const dateLen = ints[i + 11] ?? -1;
        r.buf = arena;
        a = this.span(r, 'callId', a, callLen);
        a = this.span(r, 'via', a, viaLen);
        if (branchOff < 0) r.setBranch(-1, -1);
        else r.setBranch(r.viaStart + branchOff, r.viaStart + branchOff + branchLen);
        a = this.span(r, 'date', a, dateLen);
        const meta = payloadMeta(
          TRANSPORTS[((flags >> MSG.transportShift) & TRANSPORT_MASK) as number] ?? 'unknown',
          this.string(ints[i + 5] ?? -1),
          this.string(ints[i + 6] ?? -1),
          timeMs,
          stamp,
        );
        this.counter(ints[i + 1] ?? -1).message(r, meta);
        i += MESSAGE_INTS;
      } else if (op === OP.anomaly) {
        tally.anomaly(this.string(ints[i + 1] ?? -1) as AnomalyKind, ints[i + 2] ?? 1);
        i += 3;
      } else if (op === OP.accounted) {
        const flags = ints[i + 2] ?? 0;
        const statusCode = floats[f++] ?? 0;
        const timeMs = (flags & ACC.timeMs) !== 0 ? floats[f++] : undefined;
        const callId = this.string(ints[i + 4] ?? -1);
        const r: AccountedResponse = { statusCode, cseqMethod: this.string(ints[i + 3] ?? -1) ?? '', callId, timeMs };
        const sink = this.counter(ints[i + 1] ?? -1);
        if (sink.accounted === undefined) throw new Error('an accounting record from a counter that takes none');
        sink.accounted(r);
        i += 5;
      } else if (op === OP.counter) {
        this.declare(ints[i + 1] ?? -1, ints[i + 2] ?? -1);
        i += 3;
      } else {
        throw new Error(`event batch: unknown event ${op} at ${i}`);
      }
    }
    for (const format of batch.formats) tally.formats.add(format);
    tally.unrecognizedBytes += batch.unrecognizedBytes;
    if (batch.bytes !== tally.bytes) {
      tally.bytes = batch.bytes;
      this.opts.onProgress?.(tally.bytes);
    }
  }

  /**
   * What scan() gives once the last batch is replayed: the result (its minutes moved where the clock's end-of-file
   * verdict puts them), or the error it would have thrown, with `context.partial`. An input that failed to read is
   * reported with its own error (the scanning side only saw that it stopped). Call once.
   */
  finish(outcome: ScanOutcome, inputFailure?: { readonly error: unknown }): ScanResult {
    if (inputFailure !== undefined) throw withPartial(inputFailure.error, this.tally, this.clock);
    if (!outcome.ok) throw withPartial(reviveError(outcome.error), this.tally, this.clock);
    return timedResult(this.tally, this.clock);
  }

  private string(id: number): string | undefined {
    return id < 0 ? undefined : this.strings[id];
  }

  /** Places one identity value of `len` bytes (-1: absent) at arena offset `a`; returns the next offset. */
  private span(r: MessageRecord, field: 'callId' | 'via' | 'date', a: number, len: number): number {
    const start = len < 0 ? -1 : a;
    const end = len < 0 ? -1 : a + len;
    if (field === 'callId') {
      r.callIdStart = start;
      r.callIdEnd = end;
    } else if (field === 'via') {
      r.viaStart = start;
      r.viaEnd = end;
    } else {
      r.dateStart = start;
      r.dateEnd = end;
    }
    return len < 0 ? a : a + len;
  }

  private counter(id: number): CounterSink {
    const c = this.counters[id];
    if (c === undefined) throw new Error(`event batch: counter ${id} was never declared`);
    return c;
  }

  private declare(id: number, kindIndex: number): void {
    const kind = COUNTER_KINDS[kindIndex];
    if (id !== this.counters.length || kind === undefined)
      throw new Error(`event batch: bad counter ${id} ${kindIndex}`);
    // made as the scan side made them (index.ts scanContainer, pcap/*), each with its own retransmission memory
    if (kind === 'file') this.counters.push(this.tally.counter(undefined, this.clock));
    else if (kind === 'own') this.counters.push(this.tally.counter());
    else if (kind === 'quoted') this.counters.push(quotedMessageEvents(this.tally));
    else this.counters.push(quotedMessageEvents(this.tally, this.clock));
  }
}

/** Error classes by code, so an error from the worker is thrown as the class scan() throws. */
const ERROR_CLASSES: Partial<Record<ErrorCode, new (m: string, c: Record<string, unknown>) => SipMetricsError>> = {
  TRUNCATED_GZIP: TruncatedGzipError,
  CORRUPT_GZIP: CorruptGzipError,
  UNKNOWN_FORMAT: UnknownFormatError,
  UNREADABLE_FILE: UnreadableFileError,
};

/** The error a serialized one stands for: the same class, code, message and context (its stack is the worker's). */
export const reviveError = (s: SerializedError): Error => {
  const context = s.context ?? {};
  let e: Error;
  let Class = s.code === undefined ? undefined : ERROR_CLASSES[s.code as ErrorCode];
  // a tshark dissection is refused with a subclass of the same code; its context names it (index.ts)
  if (s.code === 'UNKNOWN_FORMAT' && 'tsharkOutput' in context) Class = TsharkOutputError;
  if (Class !== undefined) e = new Class(s.message, context);
  else if (s.code !== undefined) e = new SipMetricsError(s.code as ErrorCode, s.message, context);
  else e = new Error(s.message);
  e.name = s.name;
  if (s.stack !== undefined) e.stack = s.stack;
  return e;
};
