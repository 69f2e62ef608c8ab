import { afterEach, describe, expect, it } from 'vitest';
import { endpointIds, LOCAL, LOCAL_ID, NameIds, REMOTE, REMOTE_ID } from '../../../lambda/engine/endpoint-ids.js';
import { MessageCounter } from '../../../lambda/engine/message-counter.js';
import type { ScanResult } from '../../../lambda/engine/tally.js';
import type { PayloadMeta, SipMessage } from '../../../lambda/engine/types.js';
import { corpusFiles, scanCorpusFile } from '../../support/corpus.js';

/** Every meta the counting side was handed during `run`, as [src, srcId, dst, dstId]. */
type Seen = [string | undefined, number | undefined, string | undefined, number | undefined];

const message = MessageCounter.prototype.message;
afterEach(() => {
  MessageCounter.prototype.message = message;
});

/**
 * Runs `run` with MessageCounter.message wrapped: it records each meta's names and numbers, and with `strip` hands
 * the counter the meta without its numbers (so the detector looks every name up, as it did before readers numbered
 * them).
 */
const watching = async (run: () => Promise<ScanResult>, strip: boolean): Promise<[ScanResult, Seen[]]> => {
  const seen: Seen[] = [];
  MessageCounter.prototype.message = function (this: MessageCounter, msg: SipMessage, meta: PayloadMeta): void {
    seen.push([meta.src, meta.srcId, meta.dst, meta.dstId]);
    message.call(this, msg, strip ? { ...meta, srcId: undefined, dstId: undefined } : meta);
  };
  try {
    return [await run(), seen];
  } finally {
    MessageCounter.prototype.message = message;
  }
};

describe('the numbers of sender and receiver names', () => {
  it('number a name once and keep it; past the bound a new name gets none, an old one keeps its own', () => {
    // Prepare
    const ids = new NameIds(2);

    // Act
    const got = [ids.of('a'), ids.of('b'), ids.of('c'), ids.of('a'), ids.of('b'), ids.of('c')];

    // Assess
    expect(got).toEqual([0, 1, -1, 0, 1, -1]);
    expect([endpointIds.of(LOCAL), endpointIds.of(REMOTE)]).toEqual([LOCAL_ID, REMOTE_ID]);
  });

  it('are the process numbering of each name in every meta of the shared corpus, and change no count', async () => {
    // Prepare
    const files = corpusFiles();
    const wrong: string[] = [];
    const numbered = new Map<string, number>();

    // Act: each file scanned with the readers' numbers, then with every number taken out of the metas
    for (const file of files) {
      const [withIds, seen] = await watching(() => scanCorpusFile(file), false);
      const [withoutIds] = await watching(() => scanCorpusFile(file), true);
      let n = 0;
      for (const [src, srcId, dst, dstId] of seen) {
        if (srcId !== undefined && (src === undefined || endpointIds.of(src) !== srcId)) wrong.push(`${file}: ${src}`);
        if (dstId !== undefined && (dst === undefined || endpointIds.of(dst) !== dstId)) wrong.push(`${file}: ${dst}`);
        if (srcId !== undefined || dstId !== undefined) n++;
      }
      numbered.set(file, n);
      const { seconds: _a, ...a } = withIds as ScanResult & { seconds?: number };
      const { seconds: _b, ...b } = withoutIds as ScanResult & { seconds?: number };
      expect(a, file).toEqual(b);
    }

    // Assess: no wrong number, and the interning readers (ngrep, pjsip, sipdump, SIPp, captures) did number names
    expect(wrong.slice(0, 5)).toEqual([]);
    for (const kind of ['ngrep', 'pjsip', 'sipdump', 'sipp', 'pcap']) {
      const of = [...numbered].filter(([f]) => f.includes(kind));
      expect(of.length, kind).toBeGreaterThan(0);
      expect(
        of.some(([, n]) => n > 0),
        kind,
      ).toBe(true);
    }
  });
});
