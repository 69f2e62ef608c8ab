/**
 * Exit codes of every command (`sip-metrics scan`, `npm start`, `npm start -- --once`), defined once so the same
 * input ends the same way on every path. The README's "Exit codes" table lists them.
 */
export const EXIT = {
  /** Every input was counted, or skipped because it is empty (0 bytes: nothing to count, as the Lambda skips it). */
  OK: 0,
  /** An input failed: missing, unreadable, corrupt or truncated gzip, no SIP found, or the local stack could not run. */
  INPUT_FAILED: 1,
  /** The command line itself is wrong (unknown option, missing argument, invalid value). */
  USAGE: 2,
} as const;

/** One of the exit codes above. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
