/**
 * node:zlib, loaded the first time a compressed input needs it (a gzip member, a compressed HEP payload): a plain
 * file's scan does without it, and so does the CLI's start-up on one (loading zlib and its stream classes took
 * ~2.3 ms of a ~120 ms `sip-metrics scan` of a 100 KB log; issue 17 asks for 0.1 s). A synchronous require of a
 * built-in, so the code that inflates stays synchronous where it was.
 */
import { createRequire } from 'node:module';
import type * as Zlib from 'node:zlib';

let loaded: typeof Zlib | undefined;

/** The node:zlib module (the same object on every call). */
export const zlib = (): typeof Zlib => {
  loaded ??= createRequire(import.meta.url)('node:zlib') as typeof Zlib;
  return loaded;
};
