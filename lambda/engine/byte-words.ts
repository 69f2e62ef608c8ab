/**
 * Searches four bytes at a time: a word read through a DataView (little-endian, so its lowest byte is the first in
 * the buffer) is tested for a given byte value in every lane at once (the "has a zero byte" trick of bit hacks).
 * A per-byte loop in JS costs a bounds check, a load and a compare for each byte; these cost a handful of integer
 * operations per four bytes, which the short searches the KPIs run per message (a Via's `branch=`, its end) need.
 * Here too: the one DataView of a buffer that every four-byte reader of the engine shares.
 */

/**
 * A DataView of `buf`, the one made for the last buffer asked about when it is the same (the identity keys, the
 * branch search and the readers' address tables read one scanner buffer for many messages): four bytes at a time
 * without a view per call.
 */
let lastSource: Uint8Array | undefined;
let lastSourceView: DataView = new DataView(new ArrayBuffer(0));
export const sourceView = (buf: Uint8Array): DataView => {
  if (buf !== lastSource) {
    lastSource = buf;
    lastSourceView = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  return lastSourceView;
};

const ONES = 0x01010101;
const HIGHS = 0x80808080 | 0;

/** `byte` in every lane of a word. */
export const lanesOf = (byte: number): number => Math.imul(byte, ONES);

/**
 * A mask with the high bit set in the lanes of `word` that equal the byte `lanes` repeats, exact for the lowest such
 * lane (a lane above a match may be marked falsely, by the borrow): read only its lowest lane, with firstLane.
 */
export const matchingLanes = (word: number, lanes: number): number => {
  const y = word ^ lanes;
  return (y - ONES) & ~y & HIGHS;
};

/** The index (0-3) of the lowest lane a non-zero mask of matchingLanes marks. */
export const firstLane = (mask: number): number => (31 - Math.clz32(mask & -mask)) >>> 3;
