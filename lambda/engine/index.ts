/**
 * The engine: bytes in, counts out. Pure and streaming: no AWS SDK, no fs, no env, no clock (times come from the
 * log or the options). Text formats (`formats/`), packet captures (`pcap/`), the SIP framer, the classifier, the
 * retransmission judge, the tally and the KPIs live here. May import `lambda/contract/` and `lambda/errors.ts`, and
 * Node's zlib and net (zlib through node:module's createRequire, when an input is compressed: lazy-zlib.ts);
 * everything else (metric planning, adapters, the CLI) imports the engine, never the reverse.
 */
import { TsharkOutputError, UnknownFormatError } from '../errors.js';
import { type ByteReader, byteReaderOf } from './byte-reader.js';
import { dropCrBeforeLf, isConvertedToCrlf } from './crlf-converted.js';
import { GunzipReader } from './decompress.js';
import { type Container, detectContainer, hexHead, SNIFF_BYTES } from './detect-format.js';
import { TEXT_FORMAT_READERS } from './formats/index.js';
import { LogClock } from './log-clock.js';
import { LinePrefixStripper, linePrefixes, PREFIX_SNIFF_BYTES } from './log-prefix.js';
import { createHepFileReader } from './pcap/hep.js';
import { createCaptureReader } from './pcap/index.js';
import type { PeerMap } from './peers.js';
import { remapMinutes } from './remap-minutes.js';
import { SipFramer } from './sip-framer.js';
import { structuredLogOf } from './structured-log.js';
import type { ResultDetail, ScanResult } from './tally.js';
import { Tally } from './tally.js';
import { decodeUtf16, dropUtf8Boms, startsWithUtf8Bom, utf16OrderOf } from './text-encoding.js';
import { TextScanner } from './text-scanner.js';
import { addedLineSuffix, stripLineSuffix } from './trailing-whitespace.js';
import { detectTsharkOutput } from './tshark-output.js';
import { unreadContainer, unreadContainerMessage } from './unread-containers.js';

export { FULL_DETAIL, type ResultDetail, type ScanResult } from './tally.js';

/** Options of one scan. */
export interface ScanOptions {
  /** Called as input bytes are consumed (compressed bytes for gzip input). */
  readonly onProgress?: (bytesRead: number) => void;
  /** Names for sender addresses in `byPeer` (by default, senders are keyed by IP). */
  readonly peers?: PeerMap;
  /** Track the RFC 6076 KPIs (off, `kpis` holds zeros: the bench measures their cost this way). @default true */
  readonly kpis?: boolean;
  /** What the result holds beyond its totals (tally.ts: ResultDetail). @default FULL_DETAIL */
  readonly detail?: ResultDetail;
  /**
   * When the file was complete (S3 LastModified, file mtime, or given): completes times printed
   * without a date or year. Without it those stay untimed.
   */
  readonly referenceMs?: number;
  /** IANA zone of the log's local times. @default 'UTC' */
  readonly timeZone?: string;
  /**
   * Handed the text scanner of a text log (after gzip, if any), whether logger prefixes were stripped off its
   * lines, and the file's clock: a growing log reads its resume offset at the end (lambda/growth).
   */
  readonly onTextScanner?: (scanner: TextScanner, context: TextScanContext) => void;
  /** Told where each gzip member starts, compressed and inflated (GunzipOptions.onMember; lambda/growth). */
  readonly onGzipMember?: (compressedAt: number, inflatedAt: number) => void;
}

/** How a text log was read, for a caller that wants to resume it later (lambda/growth). */
export interface TextScanContext {
  /**
   * The lines were rewritten (logger prefixes, CRs of a CRLF conversion, an added trailing suffix or byte order marks
   * cut off, UTF-16 decoded): the scanner's offsets are not the file's.
   */
  readonly prefixed: boolean;
  readonly clock: LogClock;
}

const asBuffer = (u: Uint8Array): Buffer =>
  Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/** Counts `n` more bytes of input and tells the progress callback the total (every read path counts this way). */
const countRead = (tally: Tally, n: number, onProgress: ((n: number) => void) | undefined): void => {
  tally.bytes += n;
  onProgress?.(tally.bytes);
};

/** Counts input bytes as they pass and hands them on as Buffers. */
export async function* countBytes(
  input: AsyncIterable<Uint8Array>,
  tally: Tally,
  onProgress?: (n: number) => void,
): AsyncGenerator<Buffer> {
  for await (const c of input) {
    countRead(tally, c.byteLength, onProgress);
    if (c.byteLength > 0) yield asBuffer(c);
  }
}

/**
 * Reads enough of a stream to sniff it (`bytes`, or all of a shorter one), then yields everything (the sniffed head
 * included). The head is a copy when it took several chunks, but a single chunk is kept as is: sources must hand out
 * a fresh buffer per chunk, never reuse one (FileChunks.next allocates per chunk for this reason).
 */
const peek = async (
  input: AsyncIterable<Buffer>,
  bytes = SNIFF_BYTES,
): Promise<{ head: Buffer; rest: AsyncGenerator<Buffer>; failed: boolean }> => {
  const it = input[Symbol.asyncIterator]();
  const got: Buffer[] = [];
  let n = 0;
  let done = false;
  // an error after some bytes came (a damaged second gzip member, a read error): those bytes are scanned first, then
  // `rest` throws it; thrown from here, the responses in them were lost from the partial counts
  let failed = false;
  let failure: unknown;
  while (n < bytes) {
    let r: IteratorResult<Buffer>;
    try {
      r = await it.next();
    } catch (e) {
      if (got.length === 0) throw e;
      failed = true;
      failure = e;
      break;
    }
    if (r.done) {
      done = true;
      break;
    }
    got.push(r.value);
    n += r.value.length;
  }
  // Buffer.concat copies even a list of one: the first MiB of every scan was copied twice (two peeks) for nothing
  const head = got.length === 1 ? (got[0] as Buffer) : Buffer.concat(got);
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    if (failed) throw failure;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return { head, rest: rest(), failed };
};

/**
 * Scans a byte stream of any size (text log, pcap, pcapng, any of them gzip-compressed) and
 * counts every SIP message in it. Memory stays bounded whatever the input size.
 */
export const scan = async (chunks: AsyncIterable<Uint8Array>, opts: ScanOptions = {}): Promise<ScanResult> => {
  const tally = new Tally(opts.peers, { kpis: opts.kpis, detail: opts.detail });
  const clock = new LogClock(opts);
  try {
    await scanInto(tally, chunks, opts, clock);
  } catch (e) {
    throw withPartial(e, tally, clock);
  }
  return timedResult(tally, clock);
};

/** The tally's result, its minutes moved where the clock's end-of-file verdict puts them. */
export const timedResult = (tally: Tally, clock: LogClock): ScanResult => {
  const remap = clock.finish();
  const r = tally.toResult();
  return remap === undefined ? r : remapMinutes(r, remap);
};

/**
 * `e`, given what was counted before it as `context.partial` when it carries a context (the coded errors): callers
 * report the partial counts with the error. Call once, at the end of the scan.
 */
export const withPartial = (e: unknown, tally: Tally, clock: LogClock): unknown => {
  if (e instanceof Error && 'context' in e) {
    Object.assign((e as { context: Record<string, unknown> }).context, { partial: timedResult(tally, clock) });
  }
  return e;
};

/** The scan itself, filling a caller-owned Tally (so partial counts survive an error). */
export const scanInto = async (
  tally: Tally,
  chunks: AsyncIterable<Uint8Array>,
  opts: ScanOptions = {},
  clock: LogClock = new LogClock(opts),
): Promise<void> => {
  // a file reads on into buffers the engine owns once its head is sniffed (a gzip's inflated bytes too)
  const source = byteReaderOf(chunks);
  const counted = countBytes(chunks, tally, opts.onProgress);
  try {
    await sniffAndScan(tally, counted, source, opts, clock);
  } catch (e) {
    // an input left mid-way is ended (its iterator returned): an S3 body gives its socket back to the client's pool,
    // where a body left open would hold one until the process ends
    void counted.return(undefined).catch(() => undefined);
    // the scan's error is the one to report (with its partial counts): a close that fails too must not replace it
    await source?.close().catch(() => undefined);
    throw e;
  }
  // a file read to its end is closed already; one left at a gzip member's end is closed here
  await source?.close();
};

const sniffAndScan = async (
  tally: Tally,
  counted: AsyncGenerator<Buffer>,
  source: ByteReader | undefined,
  opts: ScanOptions,
  clock: LogClock,
): Promise<void> => {
  const sniffed = await peek(counted);
  let { head, rest } = sniffed;
  // a source that failed while its head was read is read no further: its error follows the head (peek)
  const file = sniffed.failed ? undefined : source && countedReader(source, tally, opts);
  // the bytes decide what the input is, never its name: a .gz holding plain text is read as text
  let container: Container = detectContainer(head);
  if (container !== 'gzip') {
    await scanContainer(tally, container, head, rest, file, opts, clock);
    return;
  }
  tally.formats.add('gzip');
  // the compressed bytes are counted as they are read (a file's head is all of it read so far, peek: its reader
  // reads on from there into the inflater's own buffer); what they inflate to is read into the scan's buffers
  const compressed = file === undefined ? rest : onceChunk(head);
  const gunzip = new GunzipReader(compressed, {
    onTrailingGarbage: () => tally.anomaly('gzip-trailing-garbage'),
    onMember: opts.onGzipMember,
    reader: file,
  });
  try {
    const inflated = await peek(gunzip);
    ({ head, rest } = inflated);
    container = detectContainer(head);
    // compressed twice (logrotate's compress over a glob that takes .gz files in): said, not read as text
    if (container === 'gzip')
      throw new UnknownFormatError(
        `a gzip inside a gzip (compressed twice; first bytes once inflated ${hexHead(head)}): decompress it once (gzip -d), then scan the .gz it leaves`,
        { container: 'gzip inside gzip' },
      );
    await scanContainer(tally, container, head, rest, inflated.failed ? undefined : gunzip, opts, clock);
  } finally {
    await gunzip.close();
  }
};

/** One chunk as an AsyncIterable. */
async function* onceChunk(chunk: Buffer): AsyncGenerator<Buffer> {
  yield chunk;
}

/** A file's reader whose reads are counted as input bytes (and told to the progress callback), as chunks are. */
const countedReader = (reader: ByteReader, tally: Tally, opts: ScanOptions): ByteReader => ({
  readInto: async (buf, offset, length) => {
    const n = await reader.readInto(buf, offset, length);
    if (n > 0) countRead(tally, n, opts.onProgress);
    return n;
  },
  close: () => reader.close(),
});

/** Scans the input once its container is known (and any gzip taken off). */
const scanContainer = async (
  tally: Tally,
  container: Container,
  head: Buffer,
  rest: AsyncIterable<Buffer>,
  reader: ByteReader | undefined,
  opts: ScanOptions,
  clock: LogClock,
): Promise<void> => {
  const counter = tally.counter(undefined, clock);
  const framer = new SipFramer(counter);
  if (container === 'pcap' || container === 'pcapng') {
    tally.formats.add(container);
    const capture = createCaptureReader(container, framer, tally);
    if (reader === undefined) {
      for await (const chunk of rest) capture.feed(chunk);
    } else {
      // the head went through the chunks; the rest is read into two reused buffers (the reader keeps no view of one)
      capture.feed(head);
      await readCaptureAhead(reader, (bytes) => capture.feed(bytes));
    }
    capture.end();
    return;
  }
  if (container === 'hep') {
    tally.formats.add('hep');
    const reader = createHepFileReader(tally);
    for await (const chunk of rest) reader.feed(chunk);
    reader.end();
    return;
  }
  // a log whose every line carries a logger prefix is read with the prefixes cut off
  let text = await peek(rest, PREFIX_SNIFF_BYTES);
  // a log saved as UTF-16 or with a UTF-8 byte order mark: its bytes as the tools wrote them first (text-encoding.ts)
  const utf16 = utf16OrderOf(text.head);
  if (utf16 !== undefined) {
    tally.formats.add('utf-16');
    text = await peek(decodeUtf16(text.rest, utf16), PREFIX_SNIFF_BYTES);
  }
  // after UTF-16 always: files joined with cat each brought their mark, which decodes to UTF-8's at a line start
  const bom = utf16 !== undefined || startsWithUtf8Bom(text.head);
  if (bom) text = await peek(dropUtf8Boms(text.rest), PREFIX_SNIFF_BYTES);
  assertNotTsharkOutput(text.head);
  assertNotUnreadContainer(text.head);
  // records that wrap a program's text (JSON lines or otherwise, journald's forms): the text taken out of each
  const structured = structuredLogOf(text.head.subarray(0, PREFIX_SNIFF_BYTES));
  const json = structured?.decoder;
  if (structured !== undefined) {
    tally.formats.add(structured.format);
    text = await peek(structured.decoder.rewrite(text.rest), PREFIX_SNIFF_BYTES);
  }
  // exactly the first PREFIX_SNIFF_BYTES, however many the chunks brought: the verdicts must not depend on chunking
  // a log whose lines all gained the same trailing whitespace: taken off first (trailing-whitespace.ts says why)
  const added = addedLineSuffix(text.head.subarray(0, PREFIX_SNIFF_BYTES));
  if (added !== undefined) text = await peek(stripLineSuffix(text.rest, added), PREFIX_SNIFF_BYTES);
  let lines = text.rest;
  let stripper: LinePrefixStripper | undefined;
  const prefixes = linePrefixes(text.head.subarray(0, PREFIX_SNIFF_BYTES));
  if (prefixes.prefixed) {
    stripper = new LinePrefixStripper(prefixes.rsyslogEscapes);
    lines = stripper.strip(lines);
  }
  // ngrep or tcpdump output that went through unix2dos: its CRs taken out again (crlf-converted.ts says why)
  const converted = isConvertedToCrlf(text.head.subarray(0, PREFIX_SNIFF_BYTES));
  if (converted) lines = dropCrBeforeLf(lines);
  const rewritten =
    stripper !== undefined || converted || added !== undefined || utf16 !== undefined || bom || json !== undefined;
  // a logger prefix's time, else the JSON object's
  const scanner = new TextScanner(TEXT_FORMAT_READERS, framer, counter, tally, stripper ?? json);
  opts.onTextScanner?.(scanner, { prefixed: rewritten, clock });
  if (reader !== undefined && !rewritten && !text.failed) {
    // everything read so far is in text.head; the rest goes straight into the scanner's own buffer
    scanner.feed(text.head);
    await fillTextScanner(scanner, reader);
  } else {
    await scanTextChunks(scanner, lines);
  }
  if (json !== undefined && json.oversized > 0) tally.anomaly('message-too-large', json.oversized);
  assertFoundSip(tally, head, scanner.bytesFed);
};

/** A tshark dissection is refused before a byte of it is counted (tshark-output.ts says why). */
const assertNotTsharkOutput = (head: Uint8Array): void => {
  const kind = detectTsharkOutput(head);
  if (kind === undefined) return;
  const what =
    kind === '-z sip,stat'
      ? `tshark's SIP statistics (${kind}): counts with no message or time to read`
      : `tshark's dissection output (${kind}), not a capture or a SIP log: its counts would be wrong`;
  throw new TsharkOutputError(
    `this is ${what}; give the capture itself (the pcap or pcapng file tshark read, or tshark -w FILE)`,
    { tsharkOutput: kind },
  );
};

/** A container the scan does not open (another compression, another tool's capture format) is refused by name. */
const assertNotUnreadContainer = (head: Uint8Array): void => {
  const container = unreadContainer(head);
  if (container === undefined) return;
  throw new UnknownFormatError(unreadContainerMessage(container, hexHead(head)), { container: container.name });
};

/**
 * Text in which nothing of SIP was found (no message, no log format, no SIP anomaly) is not a log
 * we can read: say so with one coded error whatever its size or compression (a line too long
 * for a log is no SIP either), never report zeros. So is text whose only log-format lines are a few
 * incidental ones (an ngrep-like `#` line in a config file) among bytes that are mostly not understood:
 * more than half of `textBytes` unrecognised. Text read as a log format that still framed no message
 * (a misread log, or a log of other traffic) gets a `no-sip-message` anomaly, so that its zero responses
 * are never taken for a log that truly holds none (unless SIP anomalies say so already). Empty input (no bytes once decompressed) is not an
 * error: it has zero messages.
 */
export const assertFoundSip = (tally: Tally, head: Uint8Array, textBytes?: number): void => {
  if (head.length === 0 || tally.requests + tally.responses > 0) return;
  const format = [...tally.formats].some((f) => f !== 'gzip');
  // a long line and NUL bytes are damage of any file, SIP or not (random bytes hold both)
  const sipAnomaly = Object.keys(tally.anomalies).some((k) => k !== 'line-too-long' && k !== 'nul-bytes');
  const mostlyUnread = textBytes !== undefined && tally.unrecognizedBytes * 2 > textBytes;
  // SIP anomalies (a status line cut, a code out of range) already tell that what was read is no countable response
  if (sipAnomaly) return;
  if (format && !mostlyUnread) {
    tally.anomaly('no-sip-message');
    return;
  }
  const readAs = format
    ? ` (a few lines read as ${[...tally.formats].join(', ')}; ${tally.unrecognizedBytes} of its ${textBytes} bytes are neither a log line nor SIP)`
    : '';
  throw new UnknownFormatError(
    `no SIP found in any known format${readAs} (first bytes ${hexHead(head)}); expected pcap, pcapng, gzip or a SIP text log`,
    { unrecognizedBytes: tally.unrecognizedBytes },
  );
};

/** Bytes per read of a capture from a ByteReader: as large as the file source's chunks. */
const READ_BYTES = 1024 * 1024;
/**
 * Bytes per read of a text log into the scanner's buffer: small enough that most reads run while the scanner works
 * through the bytes before them (TextScanner.scanAhead), large enough that a read's trip to the pool stays cheap.
 */
const TEXT_READ_BYTES = 1024 * 1024;

/**
 * Reads the rest of the input into two buffers in turn, handing each to `take` while the next read runs on libuv's
 * pool (the main thread waited for every read before). A read error is thrown after what was read before it was
 * taken; a read still under way when `take` throws is waited for, so no read outlives the scan.
 */
const readCaptureAhead = async (reader: ByteReader, take: (bytes: Buffer) => void): Promise<void> => {
  const bufs = [Buffer.allocUnsafe(READ_BYTES), Buffer.allocUnsafe(READ_BYTES)] as const;
  let i = 0;
  let pending: Promise<number> | undefined = reader.readInto(bufs[0], 0, READ_BYTES);
  try {
    for (;;) {
      const n: number = await pending;
      pending = undefined;
      if (n === 0) return;
      const full = bufs[i] as Buffer;
      i ^= 1;
      pending = reader.readInto(bufs[i] as Buffer, 0, READ_BYTES);
      take(full.subarray(0, n));
    }
  } finally {
    await pending?.catch(() => 0);
  }
};

/**
 * Reads the rest of a text log straight into the scanner's buffer (no chunk, no copy). On a read error the
 * bytes already read are still scanned, as with chunks.
 */
const fillTextScanner = async (scanner: TextScanner, reader: ByteReader): Promise<void> => {
  try {
    for (;;) {
      const room = scanner.room();
      // a file's read runs on libuv's pool while this thread scans what came before it (a gzip's inflates first)
      const read = reader.readInto(room, 0, Math.min(room.length, TEXT_READ_BYTES));
      try {
        scanner.scanAhead();
      } catch (e) {
        // no read outlives the scan (the reader is closed next, and a gzip's zlib handle with it)
        await read.catch(() => 0);
        throw e;
      }
      const n = await read;
      if (n === 0) return;
      scanner.commit(n);
    }
  } finally {
    scanner.end();
  }
};

/**
 * Feeds text chunks to a scanner (which carries unfinished bytes itself). On a read error the
 * bytes already read are still scanned (the cut message at the end is counted and reported).
 */
export const scanTextChunks = async (scanner: TextScanner, chunks: AsyncIterable<Buffer>): Promise<void> => {
  try {
    for await (const chunk of chunks) scanner.feed(chunk);
  } finally {
    scanner.end();
  }
};
