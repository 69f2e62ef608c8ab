import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalStackError } from './errors.js';

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** One stack per data folder: two would fight over dynalite's LevelDB lock and s3rver's files. */
export const acquireLock = async (dataDir: string): Promise<() => Promise<void>> => {
  const file = join(dataDir, 'lock');
  try {
    const pid = Number((await readFile(file, 'utf8')).trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
      throw new LocalStackError(
        'DATA_DIR_IN_USE',
        `${dataDir} is in use by another local stack (pid ${pid}); stop it, or choose another folder with --data-dir`,
        { dataDir, pid },
      );
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await writeFile(file, String(process.pid));
  return () => rm(file, { force: true });
};
