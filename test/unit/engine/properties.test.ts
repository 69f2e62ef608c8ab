import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scan } from '../../../lambda/engine/index.js';
import { SipMetricsError } from '../../../lambda/errors.js';
import { chunked } from '../../support/collect.js';
import { CORPUS_DIR } from '../../support/corpus.js';

// Property tests with a fixed seed: cutting the input anywhere never changes a count, and random
// bytes never throw anything but our own errors, nor hang.
const SEED = 20261124;

/** The first `bytes` of a corpus file, cut at a line end so that it stays a valid log. */
const sample = (file: string, bytes: number): Buffer => {
  const all = readFileSync(`${CORPUS_DIR}${file}`);
  const end = all.indexOf(0x0a, Math.min(bytes, all.length - 1));
  return all.subarray(0, end < 0 ? all.length : end + 1);
};

const counts = async (input: Buffer, cuts: number[]) => {
  const r = await scan(chunked(input, cuts));
  return [r.byCode, r.byMethod, r.requests, r.retransmissions, r.anomalies, r.unrecognizedBytes, r.series];
};

/** What scanning the input cut at `cuts` threw, or undefined when it finished. */
const thrownByScan = async (input: Buffer, cuts: readonly number[]): Promise<unknown> => {
  try {
    await scan(chunked(input, cuts));
    return undefined;
  } catch (e) {
    return e;
  }
};

describe('chunking never changes the counts', () => {
  for (const file of [
    'mixed.ngrep.txt',
    'mixed.pjsip-style.log',
    'mixed.kamailio-sipdump.data',
    'sipp-uac-cancel-tcp.messages.log',
    'mixed.kamailio-proxy.log',
    'mixed.ngrep.txt.gz',
    'mixed.tcpdump-A.txt.gz (decompressed)',
  ]) {
    it(`holds for ${file}`, async () => {
      // Prepare
      const name = file.replace(' (decompressed)', '');
      const input = file.endsWith('(decompressed)')
        ? gunzipSync(readFileSync(`${CORPUS_DIR}${name}`))
        : file.endsWith('.gz')
          ? readFileSync(`${CORPUS_DIR}${file}`)
          : sample(file, 120_000);
      const whole = await counts(input, []);

      // Act / Assess
      await fc.assert(
        fc.asyncProperty(fc.array(fc.integer({ min: 1, max: input.length - 1 }), { maxLength: 40 }), async (cuts) => {
          expect(await counts(input, cuts)).toEqual(whole);
        }),
        { seed: SEED, numRuns: 25 },
      );
    });
  }
});

describe('random bytes', () => {
  it('never throw anything but a SipMetricsError and always finish', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 4096 }),
        fc.array(fc.nat(4096), { maxLength: 8 }),
        async (bytes, cuts) => {
          // Prepare
          const input = Buffer.from(bytes);

          // Act
          const error = await thrownByScan(input, cuts);

          // Assess
          if (error !== undefined) expect(error).toBeInstanceOf(SipMetricsError);
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('inside SIP-looking text never throw or hang either', async () => {
    const pieces = [
      'SIP/2.0 200 OK\r\n',
      'INVITE sip:a@b SIP/2.0\r\n',
      'Content-Length: 5\r\n',
      'l: 99999\r\n',
      '\r\n',
      'CSeq: 1 INVITE\r\n',
      '.\n',
      '\n\nU 1.2.3.4:5 -> 5.6.7.8:9 #1\n',
      '====================\n',
      'x',
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...pieces), { maxLength: 60 }),
        fc.array(fc.nat(2000), { maxLength: 5 }),
        async (parts, cuts) => {
          // Prepare
          const input = Buffer.from(parts.join(''));

          // Act
          const error = await thrownByScan(input, cuts);

          // Assess
          if (error !== undefined) expect(error).toBeInstanceOf(SipMetricsError);
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });
});
