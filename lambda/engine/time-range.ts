/** ECMA-262 §21.4.1.1: a Date holds at most 8.64e15 ms either side of the epoch. */
const MAX_TIME_MS = 8.64e15;

/**
 * Whether a log time can be placed on a minute (finite and within a Date's range). A damaged timestamp (a pcapng
 * block's 2^63 microseconds) is not: counted untimed, never turned into a minute name (toISOString would throw).
 */
export const isRepresentableTime = (ms: number): boolean => Number.isFinite(ms) && Math.abs(ms) <= MAX_TIME_MS;
