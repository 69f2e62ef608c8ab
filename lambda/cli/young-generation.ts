/**
 * The CLI's young generation. V8 starts a process with 1 MiB semi-spaces and doubles them, up to 16 MiB, as a scan
 * keeps allocating short-lived objects: 32 MiB committed by the end of a 200 MiB scan, of which ~1 MiB is live at
 * any time. The Lambda function caps it with a flag in its NODE_OPTIONS (FUNCTION_V8_FLAGS); the command cannot pass
 * one (its shebang is a plain `#!/usr/bin/env node`: BusyBox's env has no `-S`), and V8 reads the maximum only when it
 * makes the isolate. It reads the growth factor each time it grows the new space, though, so a factor of 1 set
 * before a large scan keeps the semi-spaces the start-up left (1 MiB, or 2 when the start-up itself grew them once)
 * for the rest of the process.
 *
 * Measured (2026-12-06, whole processes alternating, 4–5 each, the bench's 200 MiB files): peak RSS text 133–137 ->
 * 112–119 MiB, gzip 165–173 -> 138–140 MiB, capture 144–148 -> 115–120 MiB, the 1 GiB text 203 -> 178 MiB; times
 * within the host's noise on Node 20.20 (text median 1.910 -> 1.906 s) and on Node 22.23 (1.818 -> 1.859 s, minima
 * 1.801 -> 1.783 s). The seventh session had found Node 22 ~6 % slower with it; the readers' garbage has since gone
 * (126 -> 75 MB allocated per 200 MiB), and with it the scavenges a small young generation pays for. A V8 that
 * ignores the factor (newer ones hold it at 2 or more) just leaves the default.
 */

/**
 * Inputs smaller than this are left alone: they finish before the young generation grows much, and loading `node:v8`
 * costs ~3-5 ms of a start-up that a 100 KB log's scan is mostly made of. A 1 MiB gzip holds ~10 MiB of log.
 */
export const SMALL_YOUNG_GENERATION_MIN_BYTES = 1024 * 1024;

/** V8 flags that size the young generation: a user who gives one has chosen, and the command leaves it alone. */
const YOUNG_GENERATION_FLAGS = /--(?:max|min)-semi-space-size|--semi-space-growth-factor|--max-young-generation-size/;

/** Whether Node was started with a young-generation flag (on its command line or in NODE_OPTIONS). */
export const youngGenerationChosen = (execArgv: readonly string[], nodeOptions: string | undefined): boolean =>
  execArgv.some((a) => YOUNG_GENERATION_FLAGS.test(a.replaceAll('_', '-'))) ||
  YOUNG_GENERATION_FLAGS.test((nodeOptions ?? '').replaceAll('_', '-'));

let kept = false;

/** Whether an input large enough for keepYoungGenerationSmallFor was scanned (the command's exit uses it too). */
export const scannedLargeInput = (): boolean => kept;

/**
 * Keeps the young generation at the semi-spaces it has now, for the rest of the process (once; later calls return),
 * unless Node was started with a young-generation flag of the user's.
 */
export const keepYoungGenerationSmall = async (): Promise<void> => {
  if (kept) return;
  kept = true;
  if (youngGenerationChosen(process.execArgv, process.env.NODE_OPTIONS)) return;
  const { setFlagsFromString } = await import('node:v8');
  setFlagsFromString('--semi-space-growth-factor=1');
};

/** keepYoungGenerationSmall before scanning an input of `size` bytes (undefined: a stream of unknown size). */
export const keepYoungGenerationSmallFor = async (size: number | undefined): Promise<void> => {
  if (size === undefined || size >= SMALL_YOUNG_GENERATION_MIN_BYTES) await keepYoungGenerationSmall();
};
