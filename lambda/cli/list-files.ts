import { readdir, stat } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

// node:fs's callbacks, not node:fs/promises, which the CLI's start-up would load for this alone (file-source.ts)
const readFolder = promisify(readdir);
/** fs.stat as a promise (file-source.ts uses it too). */
export const statPath = promisify(stat);

/**
 * Every file below `dir`, at any depth, sorted by path (so output order is stable): the one directory walk of the
 * CLI and the local stack. Walks level by level with `readdir(withFileTypes)` rather than `{ recursive: true }`,
 * whose entries name their folder only in `Dirent.parentPath`, which Node 20 has from 20.12 on (the README promises
 * Node 20). A symbolic link counts when it points at a regular file, as the same path given on the command line
 * would; links to folders are not followed (no cycles) and dangling links are passed over.
 */
export const listFilesBelow = async (dir: string): Promise<string[]> => {
  const files: string[] = [];
  const folders = [dir];
  for (let folder = folders.pop(); folder !== undefined; folder = folders.pop()) {
    for (const entry of await readFolder(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) folders.push(path);
      else if (entry.isFile() || (entry.isSymbolicLink() && (await isLinkToFile(path)))) files.push(path);
    }
  }
  return files.sort();
};

/** Whether a symbolic link resolves to a regular file (false when it dangles). */
const isLinkToFile = async (path: string): Promise<boolean> => {
  try {
    return (await statPath(path)).isFile();
  } catch {
    return false;
  }
};
