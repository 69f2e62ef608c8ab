/**
 * Searches four bytes at a time: a word read through a DataView (little-endian, so its lowest byte is the first in
 * the buffer) is tested for a given byte value in every lane at once (the "has a zero byte" trick of bit hacks).
 * A per-byte loop in JS costs a bounds check, a load and a compare for each byte; these cost a handful of integer
 * operations per four bytes, which the short searches the KPIs run per message (a Via's `branch=`, its end) need.
 */

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
