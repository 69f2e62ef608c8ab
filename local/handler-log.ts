import { open } from 'node:fs/promises';

/** The reason the handler logged for a failed message (it logs one JSON line with the messageId). */
export const reasonInLog = async (logFile: string, messageId: string): Promise<string | undefined> => {
  const TAIL_BYTES = 256 * 1024;
  try {
    const handle = await open(logFile, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, TAIL_BYTES);
      const buf = Buffer.alloc(length);
      await handle.read(buf, 0, length, size - length);
      const lines = buf.toString('utf8').split('\n').reverse();
      for (const line of lines) {
        if (!line.includes(messageId)) continue;
        const entry = JSON.parse(line) as { reason?: unknown; errorCode?: unknown; errorName?: unknown };
        const code = typeof entry.errorCode === 'string' ? entry.errorCode : entry.errorName;
        return `${typeof code === 'string' ? `${code}: ` : ''}${String(entry.reason ?? 'see the handler log')}`;
      }
    } finally {
      await handle.close();
    }
  } catch {
    // the log is a convenience: no reason is better than a crash of the view
  }
  return undefined;
};
