import { createReadStream, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { scan } from '../../lambda/engine/index.js';

const CORPUS = new URL('../../../shared/corpus/', import.meta.url);
const FILE = 'mixed.tcpdump-A.txt.gz';

/** The fields of an *.expected.json this test compares (tshark's counts on mixed.pcap). */
const Expected = z.object({
  messages: z.number(),
  requests: z.number(),
  responses: z.number(),
  responses_by_class: z.record(z.string(), z.number()),
  responses_by_code: z.record(z.string(), z.number()),
  responses_by_method: z.record(z.string(), z.record(z.string(), z.number())),
  requests_by_method: z.record(z.string(), z.number()),
  retransmissions: z.object({ total: z.number(), requests: z.number(), responses: z.number() }),
  responses_by_class_excluding_retransmissions: z.record(z.string(), z.number()),
});

describe('corpus: tcpdump -A -nn -r mixed.pcap', () => {
  it('counts exactly what tshark counts in the capture the text came from', async () => {
    // Prepare
    const expected = Expected.parse(
      JSON.parse(readFileSync(new URL(`expected/${FILE}.expected.json`, CORPUS), 'utf8')) as unknown,
    );

    // Act
    const r = await scan(createReadStream(new URL(FILE, CORPUS)));

    // Assess
    const excluding = Object.fromEntries(
      Object.entries(r.byClass).map(([cls, n]) => [cls, n - r.retransmittedByClass[cls as keyof typeof r.byClass]]),
    );
    expect({
      formats: r.formats,
      messages: r.messages,
      requests: r.requests,
      responses: r.responses,
      byClass: r.byClass,
      byCode: r.byCode,
      byMethod: r.byMethod,
      requestsByMethod: r.requestsByMethod,
      retransmissions: { ...r.retransmissions, total: r.retransmissions.requests + r.retransmissions.responses },
      byClassExcludingRetransmissions: excluding,
      anomalies: r.anomalies,
      unrecognizedBytes: r.unrecognizedBytes,
    }).toEqual({
      formats: ['gzip', 'tcpdump-ascii'],
      messages: expected.messages,
      requests: expected.requests,
      responses: expected.responses,
      byClass: expected.responses_by_class,
      byCode: expected.responses_by_code,
      byMethod: expected.responses_by_method,
      requestsByMethod: expected.requests_by_method,
      retransmissions: expected.retransmissions,
      byClassExcludingRetransmissions: expected.responses_by_class_excluding_retransmissions,
      anomalies: {},
      unrecognizedBytes: 0,
    });
  });

  it('counts the same wherever the decompressed text is cut into chunks', async () => {
    // Prepare
    const text = gunzipSync(readFileSync(new URL(FILE, CORPUS)));
    async function* chunksAt(cuts: readonly number[]): AsyncGenerator<Uint8Array> {
      let from = 0;
      for (const cut of [...cuts].sort((a, b) => a - b)) {
        yield text.subarray(from, cut);
        from = cut;
      }
      yield text.subarray(from);
    }
    const whole = JSON.stringify(await scan(chunksAt([])));
    const cuts = fc.uniqueArray(fc.integer({ min: 1, max: text.length - 1 }), { minLength: 50, maxLength: 400 });

    // Act
    const differing: number[][] = [];
    await fc.assert(
      fc.asyncProperty(cuts, async (at) => {
        if (JSON.stringify(await scan(chunksAt(at))) !== whole) differing.push(at);
      }),
      { seed: 3261, numRuns: 10 },
    );

    // Assess
    expect(differing).toEqual([]);
    expect(JSON.parse(whole)).toMatchObject({ messages: 3440, responses: 1834 });
  });
});
