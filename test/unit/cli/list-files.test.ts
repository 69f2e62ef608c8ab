import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveInputs } from '../../../lambda/cli/file-source.js';
import { listFilesBelow } from '../../../lambda/cli/list-files.js';

let root: string;

// Prepare (once): folders three levels deep, names that sort differently by level and by path, an empty folder,
// a link to a file, a link to a folder (which leads back up: a cycle if followed) and a dangling link
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sip-metrics-list-files-'));
  await mkdir(join(root, 'b', 'deep', 'deeper'), { recursive: true });
  await mkdir(join(root, 'a-empty'));
  await mkdir(join(root, 'a.d'));
  await writeFile(join(root, 'z.log'), 'z');
  await writeFile(join(root, 'a.d', 'x.log'), 'x');
  await writeFile(join(root, 'b', 'a.log'), 'ba');
  await writeFile(join(root, 'b', 'deep', 'deeper', '1.pcap'), '1');
  await writeFile(join(root, 'b', 'deep', 'c.log.gz'), 'c');
  await symlink(join(root, 'z.log'), join(root, 'b', 'link-to-file.log'));
  await symlink(root, join(root, 'b', 'deep', 'link-to-root'));
  await symlink(join(root, 'missing.log'), join(root, 'dangling.log'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const EXPECTED = ['a.d/x.log', 'b/a.log', 'b/deep/c.log.gz', 'b/deep/deeper/1.pcap', 'b/link-to-file.log', 'z.log'];

describe('listFilesBelow', () => {
  it('lists every file at any depth sorted by path, with links to files, without following links to folders', async () => {
    // Act
    const files = await listFilesBelow(root);

    // Assess
    expect(files).toEqual(EXPECTED.map((f) => join(root, f)));
  });

  it('lists nothing in an empty folder', async () => {
    // Act, Assess
    expect(await listFilesBelow(join(root, 'a-empty'))).toEqual([]);
  });

  it('names the files below a folder given with a trailing slash without a double slash', async () => {
    // Act
    const files = await listFilesBelow(`${join(root, 'b', 'deep')}/`);

    // Assess
    expect(files).toEqual([join(root, 'b/deep/c.log.gz'), join(root, 'b/deep/deeper/1.pcap')]);
  });
});

describe('resolveInputs', () => {
  it('expands a folder argument into the walk, each file with its size', async () => {
    // Act
    const inputs = await resolveInputs([join(root, 'b')]);

    // Assess
    expect(inputs.map((i) => [i.name, i.size])).toEqual([
      [join(root, 'b/a.log'), 2],
      [join(root, 'b/deep/c.log.gz'), 1],
      [join(root, 'b/deep/deeper/1.pcap'), 1],
      [join(root, 'b/link-to-file.log'), 1],
    ]);
  });
});
