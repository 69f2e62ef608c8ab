import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanFileInParallel } from '../../../lambda/adapters/parallel-file-scan.js';
import { scan } from '../../../lambda/engine/index.js';
import {
  canMerge,
  findSplitPoint,
  mergeSegments,
  scanEarlierSegment,
  scanLaterSegment,
} from '../../../lambda/engine/segment-scan.js';
import { chunked } from '../../support/collect.js';
import { CORPUS_DIR } from '../../support/corpus.js';
import { ngrepPacket } from '../../support/log-formats.js';
import { invite, notifySipfrag, response } from '../../support/sip-samples.js';

/**
 * The RFC 6076 KPIs of a split scan are approximate (a transaction cut by the split counts on both
 * sides, see KpiTracker.merge); they are checked on sequential scans in test/corpus/kpis.test.ts.
 */
const withoutKpis = <T extends { readonly kpis: unknown }>(r: T | null): Omit<T, 'kpis'> | null => {
  if (r === null) return null;
  const { kpis: _kpis, ...rest } = r;
  return rest;
};

// A parallel scan must give exactly what a sequential one gives, wherever the split falls. The
// inputs repeat each log twice, so the same Call-IDs and directions appear on both sides of the
// split: retransmission verdicts there depend on the earlier part's state.
const twice = (file: string): Buffer => {
  const one = readFileSync(`${CORPUS_DIR}${file}`);
  return Buffer.concat([one, one]);
};

const splitScan = async (input: Buffer, split: number) => {
  const earlier = await scanEarlierSegment(chunked(input.subarray(0, split), [7919]));
  const later = await scanLaterSegment(chunked(input.subarray(split), [104_729]));
  return mergeSegments(earlier, structuredClone(later), input.subarray(0, 4));
};

describe('parallel scan of a text log', () => {
  for (const file of [
    'mixed.ngrep.txt',
    'mixed.pjsip-style.log',
    'mixed.kamailio-sipdump.data',
    'sipp-uac-invite.messages.log',
    'mixed.kamailio-proxy.log',
  ]) {
    it(`gives the sequential counts for ${file} at every split point it finds`, async () => {
      // Prepare
      const input = twice(file);
      const sequential = await scan(chunked(input, [65_536]));
      const splits = new Set<number>();
      for (let at = 1000; at < input.length - 1000; at += Math.floor(input.length / 7)) {
        const s = findSplitPoint(input.subarray(at, at + 256 * 1024), at);
        if (s !== null) splits.add(s);
      }

      // Act
      const results = await Promise.all([...splits].map((s) => splitScan(input, s)));

      // Assess
      expect(splits.size).toBeGreaterThanOrEqual(5);
      for (const r of results) expect(withoutKpis(r)).toEqual(withoutKpis(sequential));
    });
  }

  it('keeps a TCP message split by the cut counted once (ngrep segments on both sides)', async () => {
    // Prepare: a split just before every TCP packet header of the ngrep log
    const input = readFileSync(`${CORPUS_DIR}mixed.ngrep.txt`);
    const sequential = await scan(chunked(input, []));
    const splits: number[] = [];
    for (let at = input.indexOf('\n\nT '); at >= 0 && splits.length < 40; at = input.indexOf('\n\nT ', at + 1))
      splits.push(at + 1);

    // Act
    const results = await Promise.all(splits.map((s) => splitScan(input, s)));

    // Assess
    expect(splits.length).toBe(40);
    for (const r of results) expect(withoutKpis(r)).toEqual(withoutKpis(sequential));
  });

  it('finishes in the earlier part a TCP message whose last segment is in the later part', async () => {
    // Prepare
    const a = '192.0.2.1:5060';
    const b = '192.0.2.2:5060';
    const stream = invite() + response(180, 'Ringing');
    const first = ngrepPacket('T', a, b, stream.slice(0, 300));
    const input = Buffer.from(first + ngrepPacket('T', a, b, stream.slice(300)), 'latin1');
    const split = findSplitPoint(input.subarray(first.length - 5), first.length - 5);

    // Act
    const sequential = await scan(chunked(input, []));
    const parallel = await splitScan(input, split ?? 0);

    // Assess
    expect(split).toBe(first.length);
    expect([parallel.requests, parallel.byCode, parallel.anomalies]).toEqual([1, { '180': 1 }, {}]);
    expect(withoutKpis(parallel)).toEqual(withoutKpis(sequential));
  });

  it('never splits bare SIP, whose blank lines may be inside a body', () => {
    // Prepare
    const bare = Buffer.from('SIP/2.0 200 OK\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n'.repeat(20_000));

    // Act / Assess
    expect(findSplitPoint(bare.subarray(500_000, 700_000), 500_000)).toBeNull();
  });
});

describe('scanFileInParallel', () => {
  const writeTemp = (content: Buffer): string => {
    const dir = mkdtempSync(join(tmpdir(), 'sip-metrics-par-'));
    const path = join(dir, 'trace.log');
    writeFileSync(path, content);
    return path;
  };

  it('uses a worker thread and gives the sequential counts', async () => {
    // Prepare
    const input = Buffer.concat([twice('mixed.kamailio-sipdump.data'), twice('mixed.ngrep.txt')]);
    const path = writeTemp(input);
    const sequential = await scan(chunked(input, []));

    // Act
    const parallel = await scanFileInParallel(path, input.length, undefined, 1024);

    // Assess
    expect(withoutKpis(parallel)).toEqual(withoutKpis(sequential));
  });

  it('finishes sequentially when the split falls inside a TCP message whose body holds a status line', async () => {
    // Prepare: a NOTIFY over TCP whose sipfrag body is in the segment after the split
    const a = '192.0.2.1:5060';
    const b = '192.0.2.2:5060';
    const notify = notifySipfrag('SIP/2.0 503 Service Unavailable');
    const cut = notify.indexOf('SIP/2.0 503');
    const udp = (code: number) => ngrepPacket('U', b, a, response(code, 'X', `${code} OPTIONS`, `c${code}`));
    const head = [200, 201, 202].map(udp).join('') + ngrepPacket('T', a, b, notify.slice(0, cut));
    const input = Buffer.from(
      head + ngrepPacket('T', a, b, notify.slice(cut)) + [486, 487].map(udp).join(''),
      'latin1',
    );
    const path = writeTemp(input);
    const sequential = await scan(chunked(input, []));
    const earlier = await scanEarlierSegment(chunked(input.subarray(0, head.length), []));

    // Act
    const parallel = await scanFileInParallel(path, input.length, undefined, 1024);

    // Assess
    expect(findSplitPoint(input.subarray(head.length - 3), head.length - 3)).toBe(head.length);
    expect(canMerge(earlier)).toBe(false);
    expect(sequential.byCode).toEqual({ '200': 1, '201': 1, '202': 1, '486': 1, '487': 1 });
    expect(withoutKpis(parallel)).toEqual(withoutKpis(sequential));
  });
});
