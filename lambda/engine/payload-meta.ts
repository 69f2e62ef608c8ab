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
