import { createRequire } from 'node:module';
import type { SingleBar as SingleBarType } from 'cli-progress';

/** cli-progress (CommonJS) is loaded only when a bar is drawn: most scans never draw one, and every one starts faster. */
const loadSingleBar = (): typeof SingleBarType =>
  (createRequire(import.meta.url)('cli-progress') as { SingleBar: typeof SingleBarType }).SingleBar;

/** Files smaller than this finish before a bar is worth drawing. */
export const PROGRESS_MIN_BYTES = 16 * 1024 * 1024;

/** A progress display of bytes read. */
export interface Progress {
  update(bytesRead: number): void;
  stop(): void;
}

/** A progress bar on stderr for a large file of known size; undefined when not worth it. */
export const createProgress = (name: string, size: number | undefined): Progress | undefined => {
  if (size === undefined || size < PROGRESS_MIN_BYTES) return undefined;
  const SingleBar = loadSingleBar();
  const bar = new SingleBar({
    stream: process.stderr,
    format: `${name} [{bar}] {percentage}% | {mb}/{totalMb} MB | {rate} MB/s | eta {eta}s`,
    hideCursor: true,
    clearOnComplete: true,
  });
  const started = Date.now();
  const totalMb = (size / 1e6).toFixed(0);
  bar.start(size, 0, { mb: '0', totalMb, rate: '-' });
  return {
    update(bytesRead: number): void {
      const secs = (Date.now() - started) / 1000;
      bar.update(bytesRead, {
        mb: (bytesRead / 1e6).toFixed(0),
        totalMb,
        rate: secs > 0 ? (bytesRead / 1e6 / secs).toFixed(0) : '-',
      });
    },
    stop(): void {
      bar.stop();
    },
  };
};
