/**
 * The batch encoding of everything the scanning side of a scan (reading, gunzip, format readers, framer,
 * parseMessage) hands to the counting side (MessageCounter: clock, retransmission judge, KPIs, Tally), in order.
 * The scanning side can then run in a worker thread and the counting side on the main thread, and the counts are
 * exact by construction: the main thread replays the very calls the scan made (record-events.ts -> replay-events.ts).
 *
 * One batch is one ArrayBuffer (transferred, not copied, between threads) holding three regions: 32-bit integers
 * (the event stream), 64-bit floats (numbers that may not fit an int32) and a byte arena (the Call-ID, top Via and
 * Date bytes each message's identity is read from). Strings that repeat (methods, addresses, anomaly kinds) travel
 * once, as entries of a running string table, and as small ids after that.
 */
import type { Format, Transport } from '../types.js';

/** Event codes: the first integer of every event. */
export const OP = {
  /** A counter of the scan side seen for the first time: [op, counter, kind]. */
  counter: 1,
  /** MessageCounter.message: see MESSAGE_INTS. */
  message: 2,
  /** MessageCounter.accounted: [op, counter, flags, cseqMethod, callId]; floats: statusCode, timeMs? */
  accounted: 3,
  /** Tally.anomaly: [op, kind, by]. */
  anomaly: 4,
} as const;

/** Integers of a message event: [op, counter, flags, method, cseqMethod, src, dst, callIdLen, viaLen, branchOff, branchLen, dateLen]. */
export const MESSAGE_INTS = 12;
/** Most integers any one event takes. */
export const MAX_EVENT_INTS = MESSAGE_INTS;
/** Most floats any one event takes (statusCode, cseqNumber, timeMs, stamp wallMs). */
export const MAX_EVENT_FLOATS = 4;

/** Flags of a message event. */
export const MSG = {
  response: 1 << 0,
  /** Bits 1..3: the meta's transport (TRANSPORTS index). */
  transportShift: 1,
  /** Bits 4..6: the top Via's transport, TRANSPORTS index + 1 (0: none). */
  viaShift: 4,
  statusCode: 1 << 7,
  cseqNumber: 1 << 8,
  timeMs: 1 << 9,
  /** Bits 10..12: the stamp's kind, STAMP_KINDS index + 1 (0: no stamp). */
  stampShift: 10,
} as const;

/** Flags of an accounted event. */
export const ACC = { timeMs: 1 << 0 } as const;

/** Transports by code (the order is the encoding: never reorder, only append). */
export const TRANSPORTS: readonly Transport[] = ['udp', 'tcp', 'tls', 'sctp', 'ws', 'unknown'];
/** Log stamp kinds by code, likewise. */
export const STAMP_KINDS = ['utc', 'local', 'no-year', 'time-of-day'] as const;

/**
 * The kinds of MessageCounter the scan side makes, which the main thread makes again to replay its messages:
 * 'file': the scan's own counter, placing times with the file's clock (index.ts scanContainer);
 * 'own': a counter made with its own retransmission memory and a default clock (pcap: UDP datagrams, WebSocket, HEP);
 * 'quoted': the one for SIP quoted in ICMP errors, which never judges a retransmission (pcap/icmp.ts);
 * 'file-quoted': that one in a text log (its hex dumps, tcpdump -A and ngrep), placing times with the file's clock.
 */
export const COUNTER_KINDS = ['file', 'own', 'quoted', 'file-quoted'] as const;
export type CounterKind = (typeof COUNTER_KINDS)[number];

/** Integer slots of a batch's buffer (1 MiB), its float slots (512 KiB) and its arena bytes (1 MiB). */
export const BATCH_INTS = 256 * 1024;
export const BATCH_FLOATS = 64 * 1024;
export const BATCH_ARENA_BYTES = 1024 * 1024;

/** A running string table longer than this starts over at the next batch (memory stays bounded). */
export const MAX_STRINGS = 65_536;

/** One batch of scan-side events, as posted from the worker (structured-clone safe; `buffer` is transferred). */
export interface EventBatch {
  readonly buffer: ArrayBuffer;
  /** Capacity of the integer and float regions (the arena fills the rest): where the regions start. */
  readonly intCapacity: number;
  readonly floatCapacity: number;
  /** Slots used in each region. */
  readonly ints: number;
  readonly floats: number;
  readonly arenaBytes: number;
  /** The string table starts over before this batch's new strings. */
  readonly resetStrings: boolean;
  /** Strings new to the table, in id order. */
  readonly strings: readonly string[];
  /** Formats the scan found since the last batch, in the order it found them. */
  readonly formats: readonly Format[];
  /** Input bytes the scan had taken at the end of the batch (tally.bytes). */
  readonly bytes: number;
  /** Bytes counted as unrecognised since the last batch. */
  readonly unrecognizedBytes: number;
}

/** Byte offset of the float region (8-aligned) and of the arena in a batch buffer. */
export const floatOffset = (intCapacity: number): number => Math.ceil((intCapacity * 4) / 8) * 8;
export const arenaOffset = (intCapacity: number, floatCapacity: number): number =>
  floatOffset(intCapacity) + floatCapacity * 8;
