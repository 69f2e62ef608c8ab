import type { LogStamp } from './log-stamp.js';
import type { PayloadMeta, Transport } from './types.js';

/**
 * A PayloadMeta, always of the one shape (every field, in this order), however few fields a format knows. The
 * counting side reads each message's meta on its hottest path; literals of three or four shapes (one per log
 * format) made those reads polymorphic, and each new format met mid-file threw away the optimised scan loop
 * ("wrong map"), which V8 then compiled again: a multi-format log paid for the same compilations several times.
 */
export const payloadMeta = (
  transport: Transport,
  src?: string,
  dst?: string,
  timeMs?: number,
  stamp?: LogStamp,
  srcId?: number,
  dstId?: number,
): PayloadMeta => ({ timeMs, stamp, src, dst, transport, srcId, dstId });

/** A PayloadMeta its owner refills (one object for many messages). */
export type MutablePayloadMeta = { -readonly [K in keyof PayloadMeta]: PayloadMeta[K] };

/**
 * Refills `m` as payloadMeta(transport, src, ...) would make it (same fields, same shape) and returns it: a reader
 * whose meta nothing keeps past the message it describes makes no object per message.
 */
export const refillMeta = (
  m: MutablePayloadMeta,
  transport: Transport,
  src?: string,
  dst?: string,
  timeMs?: number,
  stamp?: LogStamp,
  srcId?: number,
  dstId?: number,
): PayloadMeta => {
  m.timeMs = timeMs;
  m.stamp = stamp;
  m.src = src;
  m.dst = dst;
  m.transport = transport;
  m.srcId = srcId;
  m.dstId = dstId;
  return m;
};
