import type { FileSummary } from '../lambda/run-scan.js';

/**
 * Files whose status is kept. A file dropped among a thousand others must keep its size and state until it is
 * done: evicting it mid-way made its next update recreate it as "0 B" and the file counts short. Only finished
 * files are evicted, and only beyond this many (a few hundred bytes each).
 */
const MAX_FILES_KEPT = 100_000;

/** Where a file is in the pipeline. */
export type FileState =
  | 'uploading'
  | 'queued'
  | 'processing'
  | 'retrying'
  | 'done'
  | 'duplicate'
  | 'skipped'
  | 'failed'
  | 'dead-letter'
  | 'not-notified';

/** Terminal states: the file will not move again unless it is uploaded again. */
export const FINAL_STATES: ReadonlySet<FileState> = new Set<FileState>([
  'done',
  'duplicate',
  'skipped',
  'failed',
  'dead-letter',
  'not-notified',
]);

/** One object of the bucket and what the pipeline made of it. */
export interface FileStatus {
  readonly key: string;
  readonly size: number;
  readonly state: FileState;
  /** Deliveries to the handler so far. */
  readonly receiveCount: number;
  /** Bytes the handler has read (from s3rver's side of the connection) while `processing`. */
  readonly bytesRead: number | undefined;
  /** The handler's summary of the file (from the ledger), when done. */
  readonly summary: FileSummary | undefined;
  /** An error code (the ledger's, or the local stack's) and a reason, when failed or retrying. */
  readonly errorCode: string | undefined;
  readonly reason: string | undefined;
  readonly updatedMs: number;
}

/** A change to one file's status; the fields not given keep their value. */
export type FileStatusPatch = Partial<Omit<FileStatus, 'key' | 'updatedMs'>>;

/** The files the view lists, most recently changed last, at most MAX_FILES_KEPT of them. */
export interface FileStatusList {
  /** Applies `patch` to the file's status; tells `onChange` unless `quiet`. */
  set(key: string, patch: FileStatusPatch, quiet?: boolean): void;
  /** Most recently changed last. */
  list(): FileStatus[];
}

export const createFileStatusList = (onChange: (file: FileStatus) => void): FileStatusList => {
  const files = new Map<string, FileStatus>();
  return {
    set: (key, patch, quiet = false) => {
      const prev = files.get(key);
      const next: FileStatus = {
        size: 0,
        state: 'queued',
        receiveCount: 0,
        bytesRead: undefined,
        summary: undefined,
        errorCode: undefined,
        reason: undefined,
        ...prev,
        ...patch,
        key,
        updatedMs: Date.now(),
      };
      // re-inserted so that the map stays ordered by the latest change
      files.delete(key);
      files.set(key, next);
      for (const [k, f] of files) {
        if (files.size <= MAX_FILES_KEPT) break;
        if (FINAL_STATES.has(f.state)) files.delete(k);
      }
      if (!quiet) onChange(next);
    },
    list: () => [...files.values()],
  };
};
