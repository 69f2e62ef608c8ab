import { UnknownFormatError } from '../errors.js';
import { gunzipChunks } from './decompress.js';
import { type Container, detectContainer, hexHead, SNIFF_BYTES } from './detect-format.js';
import { TEXT_FORMAT_READERS } from './formats/index.js';
import { MessageCounter } from './message-counter.js';
import { createHepFileReader } from './pcap/hep.js';
import { createCaptureReader } from './pcap/index.js';
import type { PeerMap } from './peers.js';
import { SipFramer } from './sip-framer.js';
import type { ScanResult } from './tally.js';
import { Tally } from './tally.js';
import { TextScanner } from './text-scanner.js';

export type { ScanResult } from './tally.js';

/** Options of one scan. */
export interface ScanOptions {
  /** Called as input bytes are consumed (compressed bytes for gzip input). */
  readonly onProgress?: (bytesRead: number) => void;
  /** Names for sender addresses in `byPeer` (by default, senders are keyed by IP). */
  readonly peers?: PeerMap;
  /** Handed the text scanner of a text log (after gzip, if any): a growing log reads its resume offset at the end. */
  readonly onTextScanner?: (scanner: TextScanner) => void;
}

const asBuffer = (u: Uint8Array): Buffer =>
  Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/** Counts input bytes as they pass and hands them on as Buffers. */
export async function* countBytes(
  input: AsyncIterable<Uint8Array>,
  tally: Tally,
  onProgress?: (n: number) => void,
): AsyncGenerator<Buffer> {
  for await (const c of input) {
    tally.bytes += c.byteLength;
    onProgress?.(tally.bytes);
    if (c.byteLength > 0) yield asBuffer(c);
  }
}

/** Reads enough of a stream to sniff it, then yields everything (the sniffed head included). */
const peek = async (input: AsyncIterable<Buffer>): Promise<{ head: Buffer; rest: AsyncGenerator<Buffer> }> => {
  const it = input[Symbol.asyncIterator]();
  const got: Buffer[] = [];
  let n = 0;
  let done = false;
  while (n < SNIFF_BYTES) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    got.push(r.value);
    n += r.value.length;
  }
  const head = Buffer.concat(got);
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return { head, rest: rest() };
};

/**
 * Scans a byte stream of any size (text log, pcap, pcapng, any of them gzip-compressed) and
 * counts every SIP message in it. Memory stays bounded whatever the input size.
 */
export const scan = async (chunks: AsyncIterable<Uint8Array>, opts: ScanOptions = {}): Promise<ScanResult> => {
  const tally = new Tally(opts.peers);
  try {
    await scanInto(tally, chunks, opts);
  } catch (e) {
    if (e instanceof Error && 'context' in e) {
      // keep what was counted before the failure: callers report it with the error
      Object.assign((e as { context: Record<string, unknown> }).context, { partial: tally.toResult() });
    }
    throw e;
  }
  return tally.toResult();
};

/** The scan itself, filling a caller-owned Tally (so partial counts survive an error). */
export const scanInto = async (
  tally: Tally,
  chunks: AsyncIterable<Uint8Array>,
  opts: ScanOptions = {},
): Promise<void> => {
  let { head, rest } = await peek(countBytes(chunks, tally, opts.onProgress));
  // the bytes decide what the input is, never its name: a .gz holding plain text is read as text
  let container: Container = detectContainer(head);
  if (container === 'gzip') {
    tally.formats.add('gzip');
    ({ head, rest } = await peek(gunzipChunks(rest, () => tally.anomaly('gzip-trailing-garbage'))));
    container = detectContainer(head);
    if (container === 'gzip') container = 'text'; // gzip inside gzip is not a log format
  }
  const counter = new MessageCounter(tally);
  const framer = new SipFramer(counter);
  if (container === 'pcap' || container === 'pcapng') {
    tally.formats.add(container);
    const reader = createCaptureReader(container, framer, tally);
    for await (const chunk of rest) reader.feed(chunk);
    reader.end();
    return;
  }
  if (container === 'hep') {
    tally.formats.add('hep');
    const reader = createHepFileReader(tally);
    for await (const chunk of rest) reader.feed(chunk);
    reader.end();
    return;
  }
  const scanner = new TextScanner(TEXT_FORMAT_READERS, framer, counter, tally);
  opts.onTextScanner?.(scanner);
  await scanTextChunks(scanner, rest);
  assertFoundSip(tally, head);
};

/**
 * Text in which nothing of SIP was found (no message, no log format, no SIP anomaly) is not a log
 * we can read: say so with one coded error whatever its size or compression (a line too long
 * for a log is no SIP either), never report zeros. Empty input (no bytes once decompressed) is
 * not an error: it has zero messages.
 */
export const assertFoundSip = (tally: Tally, head: Uint8Array): void => {
  if (head.length === 0 || tally.requests + tally.responses > 0) return;
  if ([...tally.formats].some((f) => f !== 'gzip')) return;
  if (Object.keys(tally.anomalies).some((k) => k !== 'line-too-long')) return;
  throw new UnknownFormatError(
    `no SIP found in any known format (first bytes ${hexHead(head)}); expected pcap, pcapng, gzip or a SIP text log`,
    { unrecognizedBytes: tally.unrecognizedBytes },
  );
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
