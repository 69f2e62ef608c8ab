import { gunzipChunks } from '../engine/decompress.js';
import { TEXT_FORMAT_READERS } from '../engine/formats/index.js';
import { type ScanOptions, scan, type TextScanContext } from '../engine/index.js';
import { LogClock, type LogClockOptions } from '../engine/log-clock.js';
import { PREFIX_SNIFF_BYTES } from '../engine/log-prefix.js';
import type { PeerMap } from '../engine/peers.js';
import { remapMinutes } from '../engine/remap-minutes.js';
import { SipFramer } from '../engine/sip-framer.js';
import { type ScanResult, Tally } from '../engine/tally.js';
import { TextScanner } from '../engine/text-scanner.js';
import { BLOCK_BYTES, type BlockDigests, BlockHasher } from './block-digests.js';

/**
 * At least this many bytes before the end of a counted version are proven unchanged in the next one (its SHA-256
 * blocks), even when the resume offset is closer to the end (gzip resumes at the very end).
 */
export const PROOF_BYTES = 1024 * 1024;

/** The instants one version's counts were placed by: a later version takes those counts back with the same. */
export interface VersionTimes {
  /** The log clock's reference (ScanOptions.referenceMs): completes the dates a log leaves out. */
  readonly referenceMs?: number;
  /** Where responses without a time of their own were published (toMetricPoints' uploadTimeMs). */
  readonly uploadTimeMs?: number;
  /** The processing time, where log times outside CloudWatch's window were restamped (toMetricPoints' nowMs). */
  readonly nowMs?: number;
}

/**
 * Where a gzip log's next version starts: the member holding the text scanner's resume offset. Its members are
 * inflated again from there, the text up to the resume offset is skipped, and the rest is scanned twice as a text
 * log's is (to the old end and to the new), so an entry that a member boundary cut is counted once.
 */
export interface GzipResume {
  /** Offset of the member's header in the file. */
  readonly at: number;
  /** Inflated bytes from the member's start to the resume offset (inflated again, not scanned). */
  readonly skip: number;
  /** Inflated bytes from the member's start to the end of the version counted. */
  readonly end: number;
}

/** How far one bucket+key has been counted; kept in the ledger table beside the per-version items. */
export interface KeyProgress {
  /** Size of the last counted version. */
  readonly size: number;
  /** `text`: resumed at a quiet line start; `gzip`: resumed in its members (`gzip -c more >> log.gz`, `member`). */
  readonly container: 'text' | 'gzip';
  /**
   * Where the next version's scan starts: a text offset the scanner reported quiet, `size` for gzip (see `member`),
   * or 0: the next version is read again from its start (see restartsCleanly) and scanned twice, to the old end and
   * to the new, as a resumed one is.
   */
  readonly resumeAt: number;
  /**
   * gzip: where its text resumes. Absent in records written before it was kept: those resume at the old end, the
   * new members' text scanned as a log of its own.
   */
  readonly member?: GzipResume;
  /** SHA-256 of the blocks from the one holding min(resumeAt or size, size - PROOF_BYTES) to the end: the proof. */
  readonly blocks: BlockDigests;
  /** The S3 event sequencer of the counted version, when its event had one. */
  readonly sequencer?: string;
  /** How the counted version placed its counts in time (absent in records written before times were kept). */
  readonly times?: VersionTimes;
}

/** Why a version of a key counted before was counted in full. */
export type NewContentReason = 'not-longer' | 'prefix-differs' | 'not-gzip-members';

/** What one version contributes. */
export interface VersionCount {
  readonly mode: 'first' | 'resumed' | 'new-content';
  readonly reason?: NewContentReason;
  /** What was scanned: the whole version, or its part from the resume offset on. */
  readonly counted: ScanResult;
  /**
   * Resumed: the same part of the previous version, scanned the same way with the previous version's times; what
   * it counted was published then.
   */
  readonly minus?: ScanResult;
  /** The key's progress once this version is published; absent for captures (never resumed). */
  readonly progress?: KeyProgress;
  /** Bytes read from the store for this version (all attempts of the comparison included). */
  readonly bytesRead: number;
  /** Where the resumed read started (a block start at or before the resume offset; 0 when read again whole). */
  readonly readFrom?: number;
}

/** Opens the version being counted from byte `from` on (a ranged GetObject). */
export type OpenFrom = (from: number) => Promise<AsyncIterable<Uint8Array>>;

/** Options of a growing count: what a whole scan of the version would be given. */
export interface GrowingOptions {
  readonly peers?: PeerMap;
  readonly sequencer?: string;
  /** IANA zone of the log's local times (ScanOptions.timeZone). */
  readonly timeZone?: string;
  /** This version's times; called once the version has been opened (its LastModified is known then). */
  readonly times?: () => VersionTimes;
  /** Track the RFC 6076 KPIs (ScanOptions.kpis). @default true */
  readonly kpis?: boolean;
}

const asBuffer = (u: Uint8Array): Buffer =>
  Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);

const scanOptionsOf = (opts: GrowingOptions, times: VersionTimes): ScanOptions => ({
  peers: opts.peers,
  kpis: opts.kpis,
  timeZone: opts.timeZone,
  referenceMs: times.referenceMs,
});

const clockOptionsOf = (opts: GrowingOptions, times: VersionTimes): LogClockOptions => ({
  timeZone: opts.timeZone,
  referenceMs: times.referenceMs,
});

/**
 * Whether a scan restarted part-way through this text, with fresh state, counts what follows exactly as the scan
 * of the whole file does, times included: every response timed by its own line (an untimed one goes to the upload
 * minute of the version that counts it, which the file's head cannot follow), and a clock that never needed
 * context (a date carried from earlier lines or taken from the reference instant, the pass of a repeated hour, the
 * move of a whole file back at its end). Framing is the scanner's part (its resume offset).
 */
const timesRestartCleanly = (r: ScanResult, clock: LogClock): boolean =>
  !clock.neededContext && r.timedResponses === r.responses;

/**
 * Whether the next version may resume this text at an offset: no logger prefixes (the scanner's offsets are
 * those of the stripped lines, not the file's, and the stripper keeps times of its own), enough text for the
 * prefix verdict of the file's head to be final, and times that restart cleanly.
 */
const restartsCleanly = (r: ScanResult, scanner: TextScanner, ctx: TextScanContext): boolean =>
  !ctx.prefixed && scanner.bytesFed >= PREFIX_SNIFF_BYTES && timesRestartCleanly(r, ctx.clock);

/** A text scan with fresh state, fed directly (no format sniffing: the key's first version was text already). */
class TextPart {
  readonly tally: Tally;
  readonly scanner: TextScanner;
  readonly clock: LogClock;

  constructor(peers: PeerMap | undefined, clock: LogClockOptions, kpis: boolean | undefined) {
    this.tally = new Tally(peers, { kpis });
    this.clock = new LogClock(clock);
    const counter = this.tally.counter(undefined, this.clock);
    this.scanner = new TextScanner(TEXT_FORMAT_READERS, new SipFramer(counter), counter, this.tally);
  }

  feed(b: Buffer): void {
    this.tally.bytes += b.length;
    this.feedText(b);
  }

  /** Scans `b` without counting it as input bytes (inflated text: the compressed bytes are the input). */
  feedText(b: Buffer): void {
    if (b.length > 0) this.scanner.feed(b);
  }

  end(): ScanResult {
    this.scanner.end();
    return this.result();
  }

  /** The counts, moved as the clock's end-of-file verdict says (as scan() does). */
  result(): ScanResult {
    const remap = this.clock.finish();
    const r = this.tally.toResult();
    return remap === undefined ? r : remapMinutes(r, remap);
  }
}

async function* hashed(input: AsyncIterable<Uint8Array>, hasher: BlockHasher): AsyncGenerator<Uint8Array> {
  for await (const c of input) {
    hasher.update(c);
    yield c;
  }
}

/** A gzip member's start: its header's offset in the file and its text's offset in the text scanner's stream. */
interface MemberStart {
  readonly at: number;
  readonly textAt: number;
}

/** Member starts kept at most: past them (a stalled quiet offset, members of a few bytes) the version resumes whole. */
const MAX_MEMBER_STARTS = 4096;

/**
 * The member starts a gzip scan passes, kept from the last one at or before the text scanner's resume offset on
 * (the one the next version may start from). The quiet offset trails the inflated text by the scanner's window, so
 * the members in that window are kept; a list longer than MAX_MEMBER_STARTS gives up resuming (the next version is
 * read whole, exactly), so a log of a million tiny members costs no more than a few thousand.
 */
class MemberStarts {
  private readonly starts: MemberStart[] = [];
  /** starts[0, head) are behind the quiet offset's member: dropped, compacted now and then. */
  private head = 0;
  private overflow = false;
  scanner: TextScanner | undefined;

  /**
   * @param at file offset of the compressed stream's first byte
   * @param textAt text scanner offset of the inflated stream's first byte (negative: a skipped part comes first)
   */
  constructor(
    private readonly at = 0,
    private readonly textAt = 0,
  ) {}

  /** GunzipOptions.onMember: offsets in the compressed and inflated streams. */
  readonly add = (compressedAt: number, inflatedAt: number): void => {
    if (this.overflow) return;
    const quiet = this.scanner?.resumeOffset;
    if (quiet !== undefined) {
      while (this.head + 1 < this.starts.length && (this.starts[this.head + 1]?.textAt ?? quiet + 1) <= quiet)
        this.head++;
      if (this.head >= MAX_MEMBER_STARTS / 2) {
        this.starts.splice(0, this.head);
        this.head = 0;
      }
    }
    if (this.starts.length - this.head >= MAX_MEMBER_STARTS) {
      this.overflow = true;
      this.starts.length = 0;
      return;
    }
    this.starts.push({ at: this.at + compressedAt, textAt: this.textAt + inflatedAt });
  };

  /** Where the next version resumes: the member holding the scanner's resume offset, and the text to skip in it. */
  resumeOf(scanner: TextScanner): GzipResume | undefined {
    if (this.overflow) return undefined;
    const quiet = scanner.resumeOffset;
    let m: MemberStart | undefined;
    for (let i = this.head; i < this.starts.length; i++) {
      const s = this.starts[i];
      if (s !== undefined && s.textAt <= quiet) m = s;
    }
    if (m === undefined) return undefined;
    return { at: m.at, skip: quiet - m.textAt, end: scanner.bytesFed - m.textAt };
  }
}

const progressOf = (
  container: KeyProgress['container'],
  size: number,
  resumeAt: number,
  hasher: BlockHasher,
  opts: GrowingOptions,
  times: VersionTimes,
  member?: GzipResume,
): KeyProgress => ({
  size,
  container,
  resumeAt,
  ...(member === undefined ? {} : { member }),
  // a version read again from 0 is proven by its last MiB only, like any other (the item stays small); a gzip's
  // members before that MiB are read again, not proven (as a text log's lines before its proof)
  blocks: hasher.digestsFrom(Math.max(0, Math.min(resumeAt > 0 ? resumeAt : size, size - PROOF_BYTES))),
  ...(opts.sequencer === undefined ? {} : { sequencer: opts.sequencer }),
  times,
});

/** The progress after a whole scan of a version (from byte 0): where and how the next version may go on. */
const progressOfWhole = (
  counted: ScanResult,
  text: { scanner: TextScanner; ctx: TextScanContext } | undefined,
  members: MemberStarts,
  size: number,
  hasher: BlockHasher,
  opts: GrowingOptions,
  times: VersionTimes,
): KeyProgress | undefined => {
  const capture = counted.formats.some((f) => f === 'pcap' || f === 'pcapng');
  if (capture || text === undefined || hasher.bytes !== size) return undefined;
  const gzip = counted.formats.includes('gzip');
  if (gzip && counted.anomalies['gzip-trailing-garbage'] !== undefined) return undefined;
  const member = gzip ? members.resumeOf(text.scanner) : undefined;
  const cheap = restartsCleanly(counted, text.scanner, text.ctx) && (!gzip || member !== undefined);
  if (!cheap) return progressOf(gzip ? 'gzip' : 'text', size, 0, hasher, opts, times);
  if (gzip) return progressOf('gzip', size, size, hasher, opts, times, member);
  return progressOf('text', size, text.scanner.resumeOffset, hasher, opts, times);
};

/**
 * A scan from byte 0 whose text scanner and gzip members are kept for the progress: what scan() is given and where
 * it tells them.
 */
const wholeScanHooks = () => {
  const members = new MemberStarts();
  const seen: { text?: { scanner: TextScanner; ctx: TextScanContext } } = {};
  const hooks: Pick<ScanOptions, 'onTextScanner' | 'onGzipMember'> = {
    onTextScanner: (scanner, ctx) => {
      seen.text = { scanner, ctx };
      members.scanner = scanner;
    },
    onGzipMember: members.add,
  };
  return { hooks, members, seen };
};

/** Counts a whole version, as a first upload is counted, and notes where the next one may resume. */
const countWhole = async (open: OpenFrom, size: number, opts: GrowingOptions, bytesBefore: number) => {
  const body = await open(0);
  const times = opts.times?.() ?? {};
  const hasher = new BlockHasher(0);
  const { hooks, members, seen } = wholeScanHooks();
  const counted = await scan(hashed(body, hasher), { ...scanOptionsOf(opts, times), ...hooks });
  const progress = progressOfWhole(counted, seen.text, members, size, hasher, opts, times);
  return { counted, progress, bytesRead: bytesBefore + hasher.bytes };
};

/** The bytes before `previous.size` differ from what the previous version held there. */
class PrefixDiffers extends Error {
  constructor(readonly bytesRead: number) {
    super('prefix differs');
  }
}

/** The new part needs context a fresh scan at the resume offset does not have: the version is read again whole. */
class NeedsWholeRead extends Error {
  constructor(readonly bytesRead: number) {
    super('the new part needs the whole file');
  }
}

/**
 * Two readers of one stream, each ending at its own offset: every chunk is read from the store once and handed to
 * both (scan() pulls its input, and the two scans run side by side, so neither queue holds more than a chunk or two).
 * stop() makes both fail with the reason (one scan failed: the other need not read on).
 */
const tee = (
  input: AsyncIterable<Buffer>,
  ends: readonly [number, number],
): { readers: [AsyncGenerator<Buffer>, AsyncGenerator<Buffer>]; stop: (reason: unknown) => void } => {
  const it = input[Symbol.asyncIterator]();
  const queues: [Buffer[], Buffer[]] = [[], []];
  const reading = [true, true];
  let pos = 0;
  let pulling: Promise<boolean> | undefined;
  let stopped: { reason: unknown } | undefined;
  const pull = async (): Promise<boolean> => {
    const r = await it.next();
    if (r.done) return false;
    const at = pos;
    pos += r.value.length;
    for (const i of [0, 1] as const) {
      const end = ends[i];
      if (reading[i] && at < end) queues[i].push(r.value.subarray(0, Math.min(r.value.length, end - at)));
    }
    return true;
  };
  async function* reader(i: 0 | 1): AsyncGenerator<Buffer> {
    try {
      for (;;) {
        if (stopped !== undefined) throw stopped.reason;
        const next = queues[i].shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        if (pos >= ends[i]) return;
        pulling ??= pull().finally(() => {
          pulling = undefined;
        });
        if (!(await pulling)) return;
      }
    } finally {
      reading[i] = false;
      queues[i].length = 0;
      // both done: close the store's stream (a read that stopped early would otherwise hold its connection)
      if (!reading[0] && !reading[1]) {
        void Promise.resolve(pulling)
          .then(() => it.return?.())
          .catch(() => {});
      }
    }
  }
  return {
    readers: [reader(0), reader(1)],
    stop: (reason) => {
      stopped ??= { reason };
    },
  };
};

/**
 * A longer version of a key whose previous version left no resume offset (a prefixed log, context-dependent
 * times, a short text): it is read whole once and scanned twice side by side, to the old end with the previous
 * version's times (what that version's counts add up to) and to the new end with this version's; the difference
 * is what is new, exact because each version's counts add up to one scan of it.
 */
const readAgainWhole = async (
  open: OpenFrom,
  size: number,
  prev: KeyProgress,
  opts: GrowingOptions,
  before: number,
) => {
  const body = await open(0);
  const times = opts.times?.() ?? {};
  const hasher = new BlockHasher(0, prev.size);
  let pos = 0;
  async function* proven(): AsyncGenerator<Buffer> {
    for await (const c of body) {
      const b = asBuffer(c);
      hasher.update(b);
      const at = pos;
      pos += b.length;
      if (at < prev.size && pos >= prev.size && !hasher.matches(prev.blocks)) {
        throw new PrefixDiffers(before + hasher.bytes);
      }
      yield b;
    }
  }
  const {
    readers: [toNew, toOld],
    stop,
  } = tee(proven(), [Number.POSITIVE_INFINITY, prev.size]);
  const stopOnError = <T>(p: Promise<T>): Promise<T> =>
    p.catch((e: unknown) => {
      stop(e);
      throw e;
    });
  const { hooks, members, seen } = wholeScanHooks();
  const [counted, minus] = await Promise.all([
    stopOnError(scan(toNew, { ...scanOptionsOf(opts, times), ...hooks })),
    stopOnError(scan(toOld, scanOptionsOf(opts, prev.times ?? times))),
  ]);
  // a body shorter than the event said (never seen from S3) leaves no proof to resume the next version from
  const progress = pos === size ? progressOfWhole(counted, seen.text, members, size, hasher, opts, times) : undefined;
  return { counted, minus, progress, bytesRead: before + hasher.bytes, readFrom: 0 };
};

/** The bytes after a gzip's old end are not a gzip member: the file was changed some other way. */
class NotGzipMembers extends Error {
  constructor(readonly bytesRead: number) {
    super('the old end is not followed by a gzip member');
  }
}

const GZIP_MAGIC = [0x1f, 0x8b] as const;

/**
 * Resumes a version that is longer than the one counted before. Text: the part from the resume offset is scanned
 * twice with fresh state, up to the old end and to the new end; the difference is what is new. gzip: the same, in
 * the text its members inflate to from the member holding the resume offset (`member`). Throws PrefixDiffers as
 * soon as the proof fails, NotGzipMembers when a gzip's old end is followed by something else, and NeedsWholeRead
 * when the new part's times needed context.
 */
const resume = async (open: OpenFrom, size: number, prev: KeyProgress, opts: GrowingOptions) => {
  if (prev.resumeAt === 0) return readAgainWhole(open, size, prev, opts, 0);
  // a record written before `member` was kept: the new members' text alone, as it was counted then
  const member = prev.container === 'gzip' ? (prev.member ?? { at: prev.size, skip: 0, end: 0 }) : undefined;
  const proofFrom = prev.blocks.firstBlock * BLOCK_BYTES;
  const readFrom =
    member === undefined ? proofFrom : Math.min(proofFrom, Math.floor(member.at / BLOCK_BYTES) * BLOCK_BYTES);
  const hasher = new BlockHasher(readFrom, prev.size);
  const body = await open(readFrom);
  const times = opts.times?.() ?? {};
  let pos = readFrom;
  /** Yields the part of each chunk from `from` on, checking the proof once the old end is passed. */
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
  const now = new TextPart(opts.peers, clockOptionsOf(opts, times), opts.kpis);
  const before = new TextPart(opts.peers, clockOptionsOf(opts, prev.times ?? times), opts.kpis);
  if (member !== undefined) {
    // named again for the generator below (a closure does not keep the narrowing of `member`)
    const m = member;
    for (const part of [now, before]) part.tally.formats.add('gzip');
    const members = new MemberStarts(m.at, -m.skip);
    members.scanner = now.scanner;
    let magicAt = 0;
    async function* compressed(): AsyncGenerator<Buffer> {
      for await (const b of slices(m.at)) {
        const at = pos - b.length;
        now.tally.bytes += b.length;
        if (at < prev.size) before.tally.bytes += Math.min(b.length, prev.size - at);
        // the old end must open a member (`gzip -c more >> log.gz`); zlib would take anything else for the old
        // member's trailing bytes
        for (; magicAt < 2 && prev.size + magicAt < pos; magicAt++) {
          if (b[prev.size + magicAt - at] !== GZIP_MAGIC[magicAt]) throw new NotGzipMembers(hasher.bytes);
        }
        yield b;
      }
      if (pos > prev.size && magicAt < 2) throw new NotGzipMembers(hasher.bytes);
    }
    let inflated = 0;
    const text = gunzipChunks(compressed(), {
      onMember: members.add,
      onTrailingGarbage: () => now.tally.anomaly('gzip-trailing-garbage'),
    });
    for await (const t of text) {
      const at = inflated;
      inflated += t.length;
      const from = Math.min(t.length, Math.max(0, m.skip - at));
      now.feedText(t.subarray(from));
      before.feedText(t.subarray(from, Math.min(t.length, Math.max(from, m.end - at))));
    }
    const counted = now.end();
    const minus = before.end();
    if (!timesRestartCleanly(counted, now.clock)) throw new NeedsWholeRead(hasher.bytes);
    // no member to resume in (too many kept): the next version is read again whole
    const next = members.resumeOf(now.scanner);
    const progress =
      counted.anomalies['gzip-trailing-garbage'] === undefined && pos === size
        ? progressOf('gzip', size, next === undefined ? 0 : size, hasher, opts, times, next)
        : undefined;
    return { counted, minus, progress, bytesRead: hasher.bytes, readFrom };
  }
  for await (const b of slices(prev.resumeAt)) {
    const at = pos - b.length;
    now.feed(b);
    if (at < prev.size) before.feed(b.subarray(0, Math.min(b.length, prev.size - at)));
  }
  const counted = now.end();
  const minus = before.end();
  if (!timesRestartCleanly(counted, now.clock)) throw new NeedsWholeRead(hasher.bytes);
  // a body shorter than the event said (never seen from S3) leaves no proof to resume the next version from
  const progress =
    pos === size ? progressOf('text', size, prev.resumeAt + now.scanner.resumeOffset, hasher, opts, times) : undefined;
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
    try {
      return { mode: 'resumed', ...(await resume(open, size, previous, opts)) };
    } catch (e) {
      if (!(e instanceof NeedsWholeRead)) throw e;
      return { mode: 'resumed', ...(await readAgainWhole(open, size, previous, opts, e.bytesRead)) };
    }
  } catch (e) {
    if (e instanceof PrefixDiffers) {
      bytesBefore = e.bytesRead;
    } else if (e instanceof NotGzipMembers) {
      bytesBefore = e.bytesRead;
      reason = 'not-gzip-members';
    } else if (previous.container === 'gzip' && e instanceof Error && 'code' in e && e.code === 'CORRUPT_GZIP') {
      // a member that cannot be read: the whole file is read, and its error said as for any gzip
      reason = 'not-gzip-members';
    } else {
      throw e;
    }
  }
  return { mode: 'new-content', reason, ...(await countWhole(open, size, opts, bytesBefore)) };
};
