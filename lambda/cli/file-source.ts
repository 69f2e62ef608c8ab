import { close, open, read, type Stats } from 'node:fs';
import { promisify } from 'node:util';
import type { ByteReader } from '../engine/byte-reader.js';
import { UnreadableFileError } from '../errors.js';
import { listFilesBelow, statPath } from './list-files.js';

// node:fs's callbacks, not node:fs/promises: its FileHandle module loads node:readline and more with it, ~2 ms of the
// start-up of a 100 KB scan (issue 17), where node:fs and node:util are loaded already
const openFile = promisify(open);
const readFile = promisify(read);
const closeFile = promisify(close);

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
    return await statPath(path);
  } catch (e) {
    throw new UnreadableFileError(`${path}: cannot read: ${reasonOf(e)}`, { path });
  }
};

/**
 * A file's bytes, as chunks (fresh buffers, what any consumer can keep) or, once the engine has sniffed
 * the head, read straight into the engine's own buffers (ByteReader: no chunk garbage, no copy). Both
 * read on from one position. Read errors become UnreadableFileError; the file is closed at its end,
 * on an error, or by `close`/`return` when the reader stops early.
 */
export class FileChunks implements AsyncIterableIterator<Uint8Array>, ByteReader {
  /** The file descriptor once opened (on the first read). */
  private fd: number | undefined;
  private closed = false;

  constructor(private readonly path: string) {}

  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    return this;
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    const buf = Buffer.allocUnsafe(FILE_CHUNK_BYTES);
    const n = await this.readInto(buf, 0, buf.length);
    return n === 0 ? { done: true, value: undefined } : { done: false, value: buf.subarray(0, n) };
  }

  async return(): Promise<IteratorResult<Uint8Array>> {
    await this.close();
    return { done: true, value: undefined };
  }

  async readInto(buf: Buffer, offset: number, length: number): Promise<number> {
    if (this.closed) return 0;
    try {
      this.fd ??= await openFile(this.path, 'r');
      // from the descriptor's own offset (null), not a position: a pipe or character device cannot seek
      const { bytesRead } = await readFile(this.fd, buf, offset, length, null);
      if (bytesRead === 0) await this.close();
      return bytesRead;
    } catch (e) {
      // the read error is the one to report: a close that fails as well must not replace it
      await this.close().catch(() => undefined);
      throw new UnreadableFileError(`${this.path}: cannot read: ${reasonOf(e)}`, { path: this.path });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) await closeFile(fd);
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
      for (const path of await listFilesBelow(arg)) out.push(fileInput(path, await statOrThrow(path)));
      continue;
    }
    out.push(fileInput(arg, st));
  }
  return out;
};

/**
 * The input of a path. Only a regular file has a size and a path to read again: a named pipe, a shell's process
 * substitution (`<(zcat log.gz)`, a /dev/fd pipe) or /dev/stdin has size 0 to stat however much it carries, and
 * was skipped as empty, its data lost with exit 0; it is read as standard input is (emptyOr reads its first chunk).
 */
const fileInput = (path: string, st: Stats): FileInput =>
  st.isFile()
    ? { name: path, path, size: st.size, modifiedMs: st.mtimeMs, chunks: () => new FileChunks(path) }
    : { name: path, chunks: () => new FileChunks(path) };
