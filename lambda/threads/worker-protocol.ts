/** The messages between scanInWorker (main thread) and scan-worker.ts (the scanning side), and their bounds. */
import type { EventBatch } from '../engine/pipeline/event-batch.js';
import type { ScanOutcome } from '../engine/pipeline/record-events.js';

/** Main thread -> worker. */
export type ToWorker =
  /** The next input bytes: [0, length) of `buffer` (transferred). */
  | { readonly type: 'chunk'; readonly buffer: ArrayBuffer; readonly length: number }
  /** The input ended. */
  | { readonly type: 'end' }
  /** Reading the input failed: the worker scans what it has, as scan() does, and ends with an error. */
  | { readonly type: 'input-failed' }
  /** A batch was replayed: its buffer comes back for reuse. */
  | { readonly type: 'ack'; readonly buffer: ArrayBuffer };

/** Worker -> main thread. */
export type FromWorker =
  /** The scan took a chunk: one more may be sent. */
  | { readonly type: 'taken' }
  | { readonly type: 'batch'; readonly batch: EventBatch }
  /** The scan ended (after its last batch). */
  | { readonly type: 'done'; readonly outcome: ScanOutcome };

/**
 * Input chunks sent and not yet taken by the scan (the main thread reads ahead this far: 16 MiB of a file). More than
 * the text scanner takes between two scans of its buffer (engine/text-scanner.ts: 4 MiB and more): the main thread
 * sends no chunk while it replays a batch, so with less read ahead the worker could run dry during each replay.
 */
export const MAX_CHUNKS_IN_FLIGHT = 16;
/** Batches posted and not yet replayed: the scan waits for the main thread past this (memory stays bounded). */
export const MAX_BATCHES_IN_FLIGHT = 4;
/** Bytes per read of a file input (as lambda/cli/file-source.ts reads). */
export const READ_BYTES = 1024 * 1024;
