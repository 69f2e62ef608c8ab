import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileChunks } from '../../../lambda/cli/file-source.js';
import { scan } from '../../../lambda/engine/index.js';
import { UnreadableFileError } from '../../../lambda/errors.js';
import { chunked } from '../../support/collect.js';
import { CORPUS_DIR } from '../../support/corpus.js';

const dir = mkdtempSync(join(tmpdir(), 'file-source-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('FileChunks', () => {
  it('yields the file’s bytes as chunks', async () => {
    // Prepare: more than one chunk (FILE_CHUNK_BYTES is 1 MiB)
    const path = join(dir, 'bytes.bin');
    const bytes = Buffer.alloc(2_500_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) & 0xff;
    writeFileSync(path, bytes);

    // Act
    const parts: Buffer[] = [];
    for await (const c of new FileChunks(path)) parts.push(Buffer.from(c));

    // Assess
    expect(parts.map((p) => p.length)).toEqual([1_048_576, 1_048_576, 402_848]);
    expect(Buffer.concat(parts).equals(bytes)).toBe(true);
  });

  for (const file of ['mixed.pjsip-style.log', 'mixed.pcap', 'mixed.ngrep.txt.gz']) {
    it(`scans ${file} as its bytes in one chunk`, async () => {
      // Prepare
      const path = `${CORPUS_DIR}${file}`;
      const expected = await scan(chunked(readFileSync(path), []));

      // Act
      const r = await scan(new FileChunks(path));

      // Assess
      expect(r).toEqual(expected);
    });
  }

  it('reads on with readInto where the chunks stopped', async () => {
    // Prepare
    const path = join(dir, 'two-parts.bin');
    writeFileSync(path, Buffer.from('0123456789'.repeat(200_000)));
    const f = new FileChunks(path);
    const first = await f.next();

    // Act
    const buf = Buffer.alloc(10);
    const n = await f.readInto(buf, 0, 10);

    // Assess
    expect(first.done ? 0 : first.value.length).toBe(1_048_576);
    expect(n).toBe(10);
    expect(buf.toString('latin1')).toBe('6789012345');
    await f.close();
    expect(await f.readInto(buf, 0, 10)).toBe(0);
  });

  it('reads a named pipe, which cannot seek', async () => {
    // Prepare: another process writes a corpus log into a FIFO
    const fifo = join(dir, 'log.fifo');
    execFileSync('mkfifo', [fifo]);
    const path = `${CORPUS_DIR}mixed.pjsip-style.log`;
    const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', path, fifo], { stdio: 'ignore' });
    const written = new Promise((resolve) => writer.on('close', resolve));
    const expected = await scan(chunked(readFileSync(path), []));

    // Act
    const r = await scan(new FileChunks(fifo));

    // Assess
    expect(r).toEqual(expected);
    expect(await written).toBe(0);
  });

  it('turns a missing file into UnreadableFileError', async () => {
    // Act
    const read = scan(new FileChunks(join(dir, 'missing.log')));

    // Assess
    await expect(read).rejects.toThrow(UnreadableFileError);
    await expect(read).rejects.toThrow(`${join(dir, 'missing.log')}: cannot read: no such file`);
  });

  it('turns a directory into UnreadableFileError', async () => {
    // Act
    const read = scan(new FileChunks(dir));

    // Assess
    await expect(read).rejects.toThrow(`${dir}: cannot read: is a directory`);
  });
});
