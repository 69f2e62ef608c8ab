import { gunzipChunks } from '../engine/decompress.js';
import { TEXT_FORMAT_READERS } from '../engine/formats/index.js';
import { scan } from '../engine/index.js';
import { MessageCounter } from '../engine/message-counter.js';
import type { PeerMap } from '../engine/peers.js';
import { SipFramer } from '../engine/sip-framer.js';
import { type ScanResult, Tally } from '../engine/tally.js';
import { TextScanner } from '../engine/text-scanner.js';
import { BLOCK_BYTES, type BlockDigests, BlockHasher } from './block-digests.js';

/**
 * At least this many bytes before the end of a counted version are proven unchanged in the next one (its SHA-256
 * blocks), even when the resume offset is closer to the end (gzip resumes at the very end).
 */
export const PROOF_BYTES = 1024 * 1024;

/** How far one bucket+key has been counted; kept in the ledger table beside the per-version items. */
export interface KeyProgress {
  /** Size of the last counted version. */
  readonly size: number;
  /** `text`: resumed at a quiet line start; `gzip`: resumed after the last member (`gzip -c more >> log.gz`). */
  readonly container: 'text' | 'gzip';
  /** Where the next version's scan starts: a text offset the scanner reported quiet, or `size` for gzip. */
  readonly resumeAt: number;
  /** SHA-256 of the blocks from the one holding min(resumeAt, size - PROOF_BYTES) to the end: the prefix proof. */
  readonly blocks: BlockDigests;
  /** The S3 event sequencer of the counted version, when its event had one. */
  readonly sequencer?: string;
}

/** Why a version of a key counted before was counted in full. */
export type NewContentReason = 'not-longer' | 'prefix-differs' | 'not-gzip-members';

/** What one version contributes. */
export interface VersionCount {
  readonly mode: 'first' | 'resumed' | 'new-content';
  readonly reason?: NewContentReason;
  /** What was scanned: the whole version, or its part from the resume offset on. */
  readonly counted: ScanResult;
  /** Resumed text: the same part of the previous version, scanned the same way; what it counted was published then. */
  readonly minus?: ScanResult;
  /** The key's progress once this version is published; absent for captures (never resumed). */
  readonly progress?: KeyProgress;
  /** Bytes read from the store for this version (all attempts of the comparison included). */
  readonly bytesRead: number;
  /** Where the resumed read started (a block start at or before the resume offset). */
  readonly readFrom?: number;
}

/** Opens the version being counted from byte `from` on (a ranged GetObject). */
export type OpenFrom = (from: number) => Promise<AsyncIterable<Uint8Array>>;

/** Options of a growing count. */
export interface GrowingOptions {
  readonly peers?: PeerMap;
  readonly sequencer?: string;
}

const asBuffer = (u: Uint8Array): Buffer =>
  Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/** A text scan with fresh state, fed directly (no format sniffing: the key's first version was text already). */
class TextPart {
  readonly tally: Tally;
  readonly scanner: TextScanner;

  constructor(peers: PeerMap | undefined) {
    this.tally = new Tally(peers);
    const counter = new MessageCounter(this.tally);
    this.scanner = new TextScanner(TEXT_FORMAT_READERS, new SipFramer(counter), counter, this.tally);
  }

  feed(b: Buffer): void {
    if (b.length === 0) return;
    this.tally.bytes += b.length;
    this.scanner.feed(b);
  }

  end(): ScanResult {
    this.scanner.end();
    return this.tally.toResult();
  }
}

async function* hashed(input: AsyncIterable<Uint8Array>, hasher: BlockHasher): AsyncGenerator<Uint8Array> {
  for await (const c of input) {
    hasher.update(c);
    yield c;
  }
}

const progressOf = (
  container: KeyProgress['container'],
  size: number,
  resumeAt: number,
  hasher: BlockHasher,
  sequencer: string | undefined,
): KeyProgress => ({
  size,
  container,
  resumeAt,
  blocks: hasher.digestsFrom(Math.max(0, Math.min(resumeAt, size - PROOF_BYTES))),
  ...(sequencer === undefined ? {} : { sequencer }),
});

/** Counts a whole version, as a first upload is counted, and notes where the next one may resume. */
const countWhole = async (open: OpenFrom, size: number, opts: GrowingOptions, bytesBefore: number) => {
  const hasher = new BlockHasher(0);
  let text: TextScanner | undefined;
  const counted = await scan(hashed(await open(0), hasher), {
    peers: opts.peers,
    onTextScanner: (s) => {
      text = s;
    },
  });
  const capture = counted.formats.some((f) => f === 'pcap' || f === 'pcapng');
  let progress: KeyProgress | undefined;
  if (!capture && text !== undefined && hasher.bytes === size) {
    if (!counted.formats.includes('gzip')) {
      progress = progressOf('text', size, text.resumeOffset, hasher, opts.sequencer);
    } else if (counted.anomalies['gzip-trailing-garbage'] === undefined) {
      progress = progressOf('gzip', size, size, hasher, opts.sequencer);
    }
  }
  return { counted, progress, bytesRead: bytesBefore + hasher.bytes };
};

/** The bytes before `previous.size` differ from what the previous version held there. */
class PrefixDiffers extends Error {
  constructor(readonly bytesRead: number) {
    super('prefix differs');
  }
}

/**
 * Resumes a version that is longer than the one counted before. Text: the part from the resume offset is scanned
 * twice with fresh state, up to the old end and to the new end; the difference is what is new. gzip: the members
 * after the old end are scanned as text of their own. Throws PrefixDiffers as soon as the proof fails.
 */
const resume = async (open: OpenFrom, size: number, prev: KeyProgress, opts: GrowingOptions) => {
  const readFrom = prev.blocks.firstBlock * BLOCK_BYTES;
  const hasher = new BlockHasher(readFrom, prev.size);
  const body = await open(readFrom);
  let pos = readFrom;
  /** Yields the part of each chunk in [from, to), checking the proof once the old end is passed. */
  const slices = async function* (from: number): AsyncGenerator<Buffer> {
    for await (const c of body) {
      const b = asBuffer(c);
      hasher.update(b);
      const at = pos;
      pos += b.length;
      if (at < prev.size && pos >= prev.size && !hasher.matches(prev.blocks)) throw new PrefixDiffers(hasher.bytes);
      if (pos > from) yield b.subarray(Math.max(0, from - at));
    }
  };
  if (prev.container === 'gzip') {
    const part = new TextPart(opts.peers);
    part.tally.formats.add('gzip');
    async function* compressed(): AsyncGenerator<Buffer> {
      for await (const b of slices(prev.size)) {
        part.tally.bytes += b.length;
        yield b;
      }
    }
    try {
      for await (const t of gunzipChunks(compressed(), () => part.tally.anomaly('gzip-trailing-garbage'))) {
        part.scanner.feed(t);
      }
    } finally {
      part.scanner.end();
    }
    const counted = part.tally.toResult();
    const progress =
      counted.anomalies['gzip-trailing-garbage'] === undefined && pos === size
        ? progressOf('gzip', size, size, hasher, opts.sequencer)
        : undefined;
    return { counted, progress, bytesRead: hasher.bytes, readFrom };
  }
  const now = new TextPart(opts.peers);
  const before = new TextPart(opts.peers);
  for await (const b of slices(prev.resumeAt)) {
    const at = pos - b.length;
    now.feed(b);
    if (at < prev.size) before.feed(b.subarray(0, Math.min(b.length, prev.size - at)));
  }
  const counted = now.end();
  const minus = before.end();
  // a body shorter than the event said (never seen from S3) leaves no proof to resume the next version from
  const progress =
    pos === size
      ? progressOf('text', size, prev.resumeAt + now.scanner.resumeOffset, hasher, opts.sequencer)
      : undefined;
  return { counted, minus, progress, bytesRead: hasher.bytes, readFrom };
};

/**
 * Counts one version of a key, given how far the key was counted before. A longer version whose bytes before the
 * old end are proven the same (block digests) is resumed; any other version is new content, counted in full.
 */
export const countGrowing = async (
  open: OpenFrom,
  size: number,
  previous: KeyProgress | undefined,
  opts: GrowingOptions = {},
): Promise<VersionCount> => {
  if (previous === undefined) return { mode: 'first', ...(await countWhole(open, size, opts, 0)) };
  if (size <= previous.size)
    return { mode: 'new-content', reason: 'not-longer', ...(await countWhole(open, size, opts, 0)) };
  let bytesBefore = 0;
  let reason: NewContentReason = 'prefix-differs';
  try {
    return { mode: 'resumed', ...(await resume(open, size, previous, opts)) };
  } catch (e) {
    if (e instanceof PrefixDiffers) {
      bytesBefore = e.bytesRead;
    } else if (previous.container === 'gzip' && e instanceof Error && 'code' in e && e.code === 'CORRUPT_GZIP') {
      // the old end is not followed by a gzip member: the file was changed some other way
      reason = 'not-gzip-members';
    } else {
      throw e;
    }
  }
  return { mode: 'new-content', reason, ...(await countWhole(open, size, opts, bytesBefore)) };
};
