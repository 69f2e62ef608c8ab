import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { sparseRecord } from '../../../lambda/engine/sparse-record.js';
import { scanCorpusFile } from '../../support/corpus.js';

// V8's own answer to "where does this object keep its index keys": natives syntax, enabled in this worker only
setFlagsFromString('--allow-natives-syntax');
const inDictionary = new Function('o', 'return %HasDictionaryElements(o)') as (o: object) => boolean;

describe('sparseRecord', () => {
  it('keeps status-code keys in a dictionary, listed and serialised in numeric order', () => {
    // Prepare
    const plain: Record<string, number> = {};
    const sparse = sparseRecord<number>();

    // Act
    for (const r of [plain, sparse])
      for (const [code, n] of [
        [603, 1],
        [200, 2],
        [100, 3],
      ] as const)
        r[code] = n;

    // Assess: the plain object grew a flat store to index 603; both read the same
    expect([inDictionary(plain), inDictionary(sparse)]).toEqual([false, true]);
    expect([Object.keys(sparse), JSON.stringify(sparse)]).toEqual([['100', '200', '603'], JSON.stringify(plain)]);
  });

  it('is what every code and bucket record of a scan result is made of', async () => {
    // Prepare: a real Kamailio capture with timed INVITEs, several peers and delays
    const r = await scanCorpusFile('mixed.kamailio-sipdump.data');

    // Act
    const records: object[] = [
      r.byCode,
      ...Object.values(r.byMethod),
      ...Object.values(r.byPeer).map((p) => p.byCode),
      ...r.series.flatMap((m) => [m.byCode, ...Object.values(m.byMethod)]),
      r.kpis.srd.buckets,
      ...Object.values(r.kpis.byPeer).flatMap((p) => [p.srd.buckets, p.sdd.buckets, p.rrd.buckets]),
    ];

    // Assess
    expect(r.kpis.srd.count).toBeGreaterThan(0);
    expect(records.length).toBeGreaterThan(10);
    expect(records.filter((o) => !inDictionary(o))).toEqual([]);
  });
});
