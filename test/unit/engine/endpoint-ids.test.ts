import { afterEach, describe, expect, it } from 'vitest';
import { endpointIds, LOCAL, LOCAL_ID, NameIds, REMOTE, REMOTE_ID } from '../../../lambda/engine/endpoint-ids.js';
import { MessageCounter } from '../../../lambda/engine/message-counter.js';
import { methodIds } from '../../../lambda/engine/method-ids.js';
import type { ScanResult } from '../../../lambda/engine/tally.js';
import type { PayloadMeta, SipMessage } from '../../../lambda/engine/types.js';
import { corpusFiles, scanCorpusFile } from '../../support/corpus.js';

/** Every (name, number) pair the counting side was handed during `run`: the meta's two, the message's two methods. */
type Seen = [string | undefined, number | undefined][];

const message = MessageCounter.prototype.message;
afterEach(() => {
  MessageCounter.prototype.message = message;
});

/**
 * Runs `run` with MessageCounter.message wrapped: it records each meta's names and each message's methods with their
 * numbers, and with `strip` hands the counter the message and meta without numbers (so every name and method is
 * looked up by its string, as before readers and the parser numbered them).
 */
const watching = async (run: () => Promise<ScanResult>, strip: boolean): Promise<[ScanResult, Seen[]]> => {
  const seen: Seen[] = [];
  MessageCounter.prototype.message = function (this: MessageCounter, msg: SipMessage, meta: PayloadMeta): void {
    seen.push([
      [meta.src, meta.srcId],
      [meta.dst, meta.dstId],
      [msg.method, msg.methodId],
      [msg.cseqMethod, msg.cseqMethodId],
    ]);
    if (!strip) message.call(this, msg, meta);
    else
      message.call(
        this,
        { ...msg, methodId: undefined, cseqMethodId: undefined },
        { ...meta, srcId: undefined, dstId: undefined },
      );
  };
  try {
    return [await run(), seen];
  } finally {
    MessageCounter.prototype.message = message;
  }
};

describe('the numbers of sender and receiver names, and of methods', () => {
  it('number a name once and keep it; past the bound a new name gets none, an old one keeps its own', () => {
    // Prepare
    const ids = new NameIds(2);

    // Act
    const got = [ids.of('a'), ids.of('b'), ids.of('c'), ids.of('a'), ids.of('b'), ids.of('c')];

    // Assess
    expect(got).toEqual([0, 1, -1, 0, 1, -1]);
    expect([endpointIds.of(LOCAL), endpointIds.of(REMOTE)]).toEqual([LOCAL_ID, REMOTE_ID]);
  });

  it('are the process numbering of each name and method in every message of the shared corpus, and change no count', async () => {
    // Prepare
    const files = corpusFiles();
    const wrong: string[] = [];
    const numbered = new Map<string, number>();
    const methodsNumbered = new Map<string, number>();

    // Act: each file scanned with the readers' numbers, then with every number taken out of the metas
    for (const file of files) {
      const [withIds, seen] = await watching(() => scanCorpusFile(file), false);
      const [withoutIds] = await watching(() => scanCorpusFile(file), true);
      let n = 0;
      let methods = 0;
      for (const [src, dst, method, cseqMethod] of seen) {
        for (const [name, id] of [src, dst])
          if (id !== undefined && (name === undefined || endpointIds.of(name) !== id)) wrong.push(`${file}: ${name}`);
        for (const [name, id] of [method, cseqMethod])
          if (id !== undefined && id >= 0 && (name === undefined || methodIds.of(name) !== id))
            wrong.push(`${file}: method ${name}`);
        if (src?.[1] !== undefined || dst?.[1] !== undefined) n++;
        if ((cseqMethod?.[1] ?? -1) >= 0) methods++;
      }
      numbered.set(file, n);
      methodsNumbered.set(file, methods);
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
      // the parser numbered the methods of the messages it read from bytes
      expect(
        [...methodsNumbered].some(([f, n]) => f.includes(kind) && n > 0),
        kind,
      ).toBe(true);
    }
  });
});
