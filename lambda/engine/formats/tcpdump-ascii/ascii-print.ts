/** What print-ascii.c ascii_print makes of a byte, and the bytes the `tcpdump -A` reader looks for. */

export const LF = 0x0a;
export const CR = 0x0d;
export const SP = 0x20;
export const HT = 0x09;
export const DOT = 0x2e;
export const DASH = 0x2d;

/** The character ascii_print shows for a byte other than CR. */
export const shown = (v: number): number => (v === HT || v === LF || v === SP || (v > SP && v < 0x7f) ? v : DOT);
