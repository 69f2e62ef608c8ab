import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { scan } from '../../../../lambda/engine/index.js';
import { detectTsharkOutput } from '../../../../lambda/engine/tshark-output.js';
import { TsharkOutputError } from '../../../../lambda/errors.js';
import { readFixture } from '../../../support/collect.js';
import { cutAt } from '../../../support/fuzz/invariance.js';

/**
 * tshark's dissection outputs are refused with one typed error, never counted. The fixtures are tshark 4.0.17's
 * outputs of frames of the corpus's mixed.pcap (test/fixtures/text/README.md). Before, the PDML one was read as
 * bare SIP: a `503` quoted in frame 386's MESSAGE body counted as a response (on the whole of mixed.pcap: 124
 * false responses, exit 0), where tshark counts 2 requests (OPTIONS, MESSAGE) and one 200.
 */
const FIXTURES = [
  ['tshark-T-pdml.xml', '-T pdml'],
  ['tshark-T-psml.xml', '-T psml'],
  ['tshark-T-json.txt', '-T json'],
  ['tshark-T-ek.txt', '-T ek'],
  ['tshark-V.txt', '-V / -O'],
  ['tshark-O-sip.txt', '-V / -O'],
  ['tshark-summary.txt', 'summary'],
  ['tshark-z-sip-stat.txt', '-z sip,stat'],
] as const;

/** The error a scan of these chunks throws (undefined when it returns). */
const errorOf = async (chunks: AsyncIterable<Uint8Array>): Promise<unknown> => {
  try {
    await scan(chunks);
    return undefined;
  } catch (e) {
    return e;
  }
};

describe("tshark's dissection outputs", () => {
  it.each(FIXTURES)('%s is refused as tshark %s, whole, cut in 1 KiB chunks and gzipped', async (name, kind) => {
    // Prepare
    const bytes = readFixture(`text/${name}`);
    const cuts = Array.from({ length: Math.floor(bytes.length / 1024) }, (_, i) => (i + 1) * 1024);

    // Act
    const errors = [
      await errorOf(cutAt(bytes, [])),
      await errorOf(cutAt(bytes, cuts)),
      await errorOf(cutAt(gzipSync(bytes), [])),
    ];

    // Assess
    for (const e of errors) {
      expect(e).toBeInstanceOf(TsharkOutputError);
      expect((e as TsharkOutputError).code).toBe('UNKNOWN_FORMAT');
      expect((e as TsharkOutputError).context).toMatchObject({ tsharkOutput: kind });
      expect((e as TsharkOutputError).message).toMatch(/give the capture itself/);
    }
  });

  it('leaves every shared-corpus text log and the other text fixtures alone', () => {
    // Prepare: every text input the other tests count (none of them is a tshark dissection)
    const dir = new URL('../../../fixtures/text/', import.meta.url);
    const names = ['chan-sip-full.log', 'freeswitch-siptrace.log', 'tcpdump-X-crafted.txt', 'ngrep-x-crafted.txt'];

    // Act
    const verdicts = names.map((n) => detectTsharkOutput(readFileSync(new URL(n, dir))));

    // Assess
    expect(verdicts).toEqual([undefined, undefined, undefined, undefined]);
  });
});
