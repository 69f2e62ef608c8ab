import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gunzipChunks } from '../../../lambda/engine/decompress.js';
import { scan } from '../../../lambda/engine/index.js';
import { chunked } from '../../support/collect.js';
import { response } from '../../support/sip-samples.js';

/**
 * SHA-256 and length of everything a generator yields, read like a scanner busy for 50 ms with
 * each of the first chunks: meanwhile zlib inflates on, reaches the pending-output bound and is
 * paused until the reader catches up.
 */
const digestSlowly = async (chunks: AsyncIterable<Buffer>): Promise<{ bytes: number; sha256: string }> => {
  const h = createHash('sha256');
  let bytes = 0;
  let seen = 0;
  for await (const c of chunks) {
    h.update(c);
    bytes += c.length;
    if (seen++ < 3) await new Promise<void>((resolve) => setTimeout(resolve, 50));
  }
  return { bytes, sha256: h.digest('hex') };
};

describe('gunzipChunks', () => {
  it('inflates a member whose 1 MiB write inflates to far more than the pending bound (zlib paused and resumed) byte for byte', async () => {
    // Prepare: 24 MiB of one repeated response compresses ~1000:1, so one write yields all of it
    const text = Buffer.from(response(200, 'OK').repeat(Math.ceil((24 * 1024 * 1024) / response(200, 'OK').length)));
    const gz = Buffer.concat([gzipSync(text), gzipSync(text.subarray(0, 3 * 1024 * 1024))]);
    const want = createHash('sha256')
      .update(text)
      .update(text.subarray(0, 3 * 1024 * 1024))
      .digest('hex');

    // Act
    const got = await digestSlowly(gunzipChunks(chunked(gz, [5, 70_000])));

    // Assess
    expect(got).toEqual({ bytes: text.length + 3 * 1024 * 1024, sha256: want });
  });

  it('gives the scan the same counts as the plain text when zlib had to wait for the scanner', async () => {
    // Prepare
    const one = response(486, 'Busy Here');
    const n = Math.ceil((12 * 1024 * 1024) / one.length);
    const text = Buffer.from(one.repeat(n));

    // Act
    const plain = await scan(chunked(text, [1_000_000]));
    const zipped = await scan(chunked(gzipSync(text), [3]));

    // Assess
    expect(zipped.responses).toBe(n);
    expect({ ...zipped, formats: [], bytes: 0 }).toEqual({ ...plain, formats: [], bytes: 0 });
  });
});
