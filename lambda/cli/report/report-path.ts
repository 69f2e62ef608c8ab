import { access as accessCallback, constants, stat as statCallback } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { promisify } from 'node:util';

// node:fs's callbacks, not node:fs/promises, which loads node:readline with it (the command's start-up; file-source.ts)
const stat = promisify(statCallback);
const access = promisify(accessCallback);

/**
 * Why the HTML report cannot be written to `path`, checked before any input is read (a typo in `--html` must not
 * cost a long scan first), or undefined when it can: its folder exists and is writable, and it is no folder itself.
 * The write itself may still fail later (a full disk); write-html-report.ts says so then.
 */
export const reportPathProblem = async (path: string): Promise<string | undefined> => {
  // "out/" names a folder, whatever is or is not there
  if (path.endsWith('/')) return 'it names a folder';
  const folder = dirname(resolve(path));
  try {
    if ((await stat(path)).isDirectory()) return 'it is a folder';
    await access(path, constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES') return 'it is not writable';
    // not there yet: its folder decides
  }
  try {
    if (!(await stat(folder)).isDirectory()) return `${folder} is not a folder`;
    await access(folder, constants.W_OK);
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `no folder ${folder}` : code === 'EACCES' ? `${folder} is not writable` : String(e);
  }
};
