import { createReadStream, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { UnreadableFileError } from '../errors.js';
import { listFilesBelow } from './list-files.js';

/** Read size for local files: large reads keep syscall and per-chunk overhead low. */
export const FILE_CHUNK_BYTES = 1024 * 1024;

/** A local input: a path, or '-' for standard input. */
export interface FileInput {
  readonly name: string;
  /** Path of a regular file (not for stdin): lets large files be scanned on two cores. */
  readonly path?: string;
  /** Size in bytes when known (not for stdin). */
  readonly size?: number;
  /** When the file was last written (mtime; LastModified for S3), when known: the log's reference instant. */
  readonly modifiedMs?: number;
  readonly chunks: () => AsyncIterable<Uint8Array>;
}

const reasonOf = (e: unknown): string => {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    default:
      return e instanceof Error ? e.message : String(e);
  }
};

/** Stat a path, turning OS errors into a clear UnreadableFileError. */
const statOrThrow = async (path: string): Promise<Stats> => {
  try {
    return await stat(path);
  } catch (e) {
    throw new UnreadableFileError(`${path}: cannot read: ${reasonOf(e)}`, { path });
  }
};

/** Streams a file in large chunks; read errors become UnreadableFileError. */
async function* readChunks(path: string): AsyncGenerator<Uint8Array> {
  try {
    for await (const c of createReadStream(path, { highWaterMark: FILE_CHUNK_BYTES })) yield c as Buffer;
  } catch (e) {
    throw new UnreadableFileError(`${path}: cannot read: ${reasonOf(e)}`, { path });
  }
}

/**
 * Expands CLI arguments into inputs: files as given, directories walked recursively (sorted, so
 * output order is stable), '-' for standard input.
 */
export const resolveInputs = async (args: readonly string[]): Promise<FileInput[]> => {
  const out: FileInput[] = [];
  for (const arg of args) {
    if (arg === '-') {
      out.push({ name: '-', chunks: () => process.stdin });
      continue;
    }
    const st = await statOrThrow(arg);
    if (st.isDirectory()) {
      for (const path of await listFilesBelow(arg)) {
        const s = await statOrThrow(path);
        out.push({ name: path, path, size: s.size, modifiedMs: s.mtimeMs, chunks: () => readChunks(path) });
      }
      continue;
    }
    out.push({ name: arg, path: arg, size: st.size, modifiedMs: st.mtimeMs, chunks: () => readChunks(arg) });
  }
  return out;
};
