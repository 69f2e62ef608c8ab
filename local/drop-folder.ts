import { type FSWatcher, watch } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** A file in the drop folder whose size and modification time stopped changing. */
export interface StableFile {
  readonly path: string;
  /** Its name in the drop folder (the folder is watched one level deep). */
  readonly name: string;
  readonly size: number;
  readonly mtimeMs: number;
}

/** What to do with stable files. */
export interface DropFolderOptions {
  readonly dir: string;
  /** Whether this version of the file still needs uploading (false for one uploaded before a restart). */
  readonly isNew: (file: StableFile) => boolean;
  /** Uploads one stable file; awaited, so `pending()` counts it until it ends. */
  readonly onStable: (file: StableFile) => Promise<void>;
  readonly onError: (name: string, error: unknown) => void;
  /** Interval of the size checks. */
  readonly pollMs?: number;
}

/** The watched folder. */
export interface DropFolder {
  /** Files being checked for stability or uploaded. */
  pending(): number;
  close(): void;
}

/** Checks a file must pass unchanged: a writer that pauses longer than this between writes is not supported. */
const STABLE_CHECKS = 2;
const DEFAULT_POLL_MS = 250;

/** Editors, browsers and copy tools write under these names first and rename when done. */
const isTemporaryName = (name: string): boolean =>
  name.startsWith('.') || /(~|\.tmp|\.part|\.crdownload|\.swp|\.partial)$/i.test(name);

/**
 * Watches `dir` (one level deep) with fs.watch and hands over each new or rewritten file once its size and
 * modification time are the same in STABLE_CHECKS consecutive checks: a file still being copied in is never read
 * half-written. Files present at start are checked too, so that files dropped while stopped are not missed.
 */
export const watchDropFolder = async (o: DropFolderOptions): Promise<DropFolder> => {
  const pollMs = o.pollMs ?? DEFAULT_POLL_MS;
  await mkdir(o.dir, { recursive: true });
  const checking = new Map<string, NodeJS.Timeout>();
  let uploading = 0;
  let closed = false;

  const check = (name: string, last: { size: number; mtimeMs: number } | null, unchanged: number): void => {
    const timer = setTimeout(() => {
      checking.delete(name);
      if (closed) return;
      void (async () => {
        const path = join(o.dir, name);
        let s: Awaited<ReturnType<typeof stat>>;
        try {
          s = await stat(path);
        } catch {
          return; // removed or renamed meanwhile: its new name gets its own watch event
        }
        // a watch event during the stat started a newer check of this file: leave it to that one
        if (!s.isFile() || closed || checking.has(name)) return;
        const now = { size: s.size, mtimeMs: s.mtimeMs };
        const same = last !== null && last.size === now.size && last.mtimeMs === now.mtimeMs;
        const count = same ? unchanged + 1 : 0;
        if (count < STABLE_CHECKS) {
          check(name, now, count);
          return;
        }
        // an empty file carries nothing to count (the handler would skip it); writing to it fires a new event
        if (now.size === 0) return;
        const file: StableFile = { path, name, size: now.size, mtimeMs: now.mtimeMs };
        if (!o.isNew(file)) return;
        uploading++;
        try {
          await o.onStable(file);
        } catch (e) {
          o.onError(name, e);
        } finally {
          uploading--;
        }
      })();
    }, pollMs);
    checking.set(name, timer);
  };

  const schedule = (name: string): void => {
    if (closed || isTemporaryName(name)) return;
    const running = checking.get(name);
    if (running !== undefined) clearTimeout(running);
    check(name, null, 0);
  };

  const rescan = async (): Promise<void> => {
    for (const entry of await readdir(o.dir, { withFileTypes: true })) {
      if (entry.isFile()) schedule(entry.name);
    }
  };

  let watcher: FSWatcher | undefined;
  watcher = watch(o.dir, (_event, name) => {
    // some platforms report no name: look at every file again
    if (name === null) void rescan();
    else schedule(name);
  });
  watcher.on('error', (e) => o.onError(o.dir, e));
  await rescan();

  return {
    pending: () => checking.size + uploading,
    close: () => {
      closed = true;
      watcher?.close();
      watcher = undefined;
      for (const t of checking.values()) clearTimeout(t);
      checking.clear();
    },
  };
};
