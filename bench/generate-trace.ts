import { createReadStream, createWriteStream } from 'node:fs';
import { rename, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { createGzip } from 'node:zlib';
import { FileSink } from './file-sink.js';
import { type FormatShare, finishGeneratedFile, type GroundTruth, TruthCounter, writeTruth } from './ground-truth.js';
import { Prng } from './prng.js';
import { SipTraffic, type WireMessage } from './sip-traffic.js';
import { Segmenter } from './tcp-segmenter.js';
import {
  bareRecord,
  ngrepPacket,
  ngrepPreamble,
  pjsipRecord,
  sipdumpRecord,
  sippRecord,
  type TextFormat,
} from './text-formats.js';

/**
 * Writes the text trace of the bench: SIP traffic rendered in blocks of different log formats,
 * as if several tools' logs had been concatenated. Each block holds whole dialogs (started and
 * ended inside it), because each format names the two ends of a hop differently and a resend is
 * only recognisable as one next to its original in the same format.
 */

/** Default seed of the text trace. */
export const TRACE_SEED = 20_261_124;

/** Options of one text trace. */
export interface TraceOptions {
  readonly seed: number;
  readonly targetBytes: number;
  /** Formats to rotate through; default: one raw-SIP block first, then ngrep, sipdump, pjsip and SIPp blocks. */
  readonly formats?: readonly TextFormat[];
  /** Sees every message written, with its block's format (for debugging a count mismatch). */
  readonly onMessage?: (m: WireMessage, format: TextFormat) => void;
}

const MIB = 1024 * 1024;
const ROTATION: readonly TextFormat[] = ['ngrep', 'sipdump', 'pjsip', 'sipp'];

/**
 * Block order. Raw SIP comes first only: it has no header of its own, so after another
 * format's block it would read as part of that block (the last ngrep packet, or the last
 * pjsip/SIPp/sipdump message's addresses), which no real log concatenation produces.
 */
const blockFormats = function* (rng: Prng, formats: readonly TextFormat[] | undefined): Generator<TextFormat> {
  if (formats !== undefined) {
    // an empty list would spin here forever without yielding
    if (formats.length === 0) throw new RangeError('generateTrace: formats is empty');
    for (;;) yield* formats;
  }
  yield 'bare';
  let last: TextFormat = 'bare';
  for (;;) {
    const round = [...ROTATION];
    for (let i = round.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [round[i], round[j]] = [round[j] as TextFormat, round[i] as TextFormat];
    }
    if (round[0] === last) round.push(round.shift() as TextFormat);
    yield* round;
    last = round[round.length - 1] as TextFormat;
  }
};

/** Writes a text trace of at least `targetBytes` to `path` (via a temporary file) and its truth beside it. */
export const generateTrace = async (path: string, opts: TraceOptions): Promise<GroundTruth> => {
  const started = performance.now();
  const rng = new Prng(opts.seed ^ 0x7e57);
  const traffic = new SipTraffic(opts.seed);
  const truth = new TruthCounter();
  const tmp = `${path}.tmp`;
  // checked before anything is opened: an empty list would spin in blockFormats, and fail there with a file open
  if (opts.formats?.length === 0) throw new RangeError('generateTrace: formats is empty');
  const sink = new FileSink(tmp);
  const shares: Record<string, FormatShare> = {};
  const tcp: Record<string, number> = { tcpMessages: 0, splitMessages: 0, segments: 0, mergedSegments: 0 };
  // a 200 MiB trace gets 2-6 MiB blocks; smaller traces get proportionally smaller ones
  const scale = Math.min(1, opts.targetBytes / (200 * MIB));
  const formats = blockFormats(rng, opts.formats);
  let ngrepFiles = 0;
  let packetNo = 0;
  let previous: TextFormat | undefined;

  while (sink.bytes < opts.targetBytes) {
    const format = formats.next().value;
    if (format === undefined) break;
    const share = shares[format] ?? { blocks: 0, bytes: 0, messages: 0 };
    shares[format] = share;
    share.blocks++;
    const blockStart = sink.bytes;
    const blockBytes = Math.max(64 * 1024, Math.round(rng.int(2 * MIB, 6 * MIB) * scale));
    const segmenter = new Segmenter(rng.fork(), (p) => sink.text(ngrepPacket(p, ++packetNo)));
    // the preamble of ngrep's output; only between blocks of different formats, because after a
    // packet of an ngrep block it would read as the end of that packet's payload
    if (format === 'ngrep' && previous !== 'ngrep') sink.text(ngrepPreamble(++ngrepFiles));
    if (format === 'ngrep') packetNo = 0;
    previous = format;
    traffic.resume();
    let draining = false;
    for (;;) {
      if (!draining && sink.bytes - blockStart >= blockBytes) {
        traffic.drain();
        draining = true;
      }
      const m = traffic.next();
      if (m === null) break;
      switch (format) {
        case 'ngrep':
          segmenter.push(m);
          break;
        case 'sipdump':
          sink.text(sipdumpRecord(m));
          break;
        case 'pjsip':
          sink.text(pjsipRecord(m));
          break;
        case 'sipp':
          // SIPp logs its own side only: the caller's hop
          if (!m.callerLeg) continue;
          sink.text(sippRecord(m));
          break;
        case 'bare':
          sink.text(bareRecord(m));
          break;
      }
      truth.add(m);
      opts.onMessage?.(m, format);
      share.messages++;
      if (sink.full) await sink.flush();
    }
    segmenter.flush();
    for (const [k, v] of Object.entries(segmenter.stats)) tcp[k] = (tcp[k] ?? 0) + v;
    share.bytes += sink.bytes - blockStart;
  }
  return finishGeneratedFile(sink, tmp, path, truth, {
    seed: opts.seed,
    targetBytes: opts.targetBytes,
    startedMs: started,
    formats: shares,
    tcp,
  });
};

/** gzip level of the compressed copy (zlib's default, what `gzip` itself uses). */
export const GZIP_LEVEL = 6;

/** Compresses the trace through zlib streams and writes the truth of the copy (same counts, its own size). */
export const gzipTrace = async (textPath: string, textTruth: GroundTruth, gzPath: string): Promise<GroundTruth> => {
  const started = performance.now();
  const tmp = `${gzPath}.tmp`;
  await pipeline(
    createReadStream(textPath, { highWaterMark: MIB }),
    createGzip({ level: GZIP_LEVEL }),
    createWriteStream(tmp),
  );
  await rename(tmp, gzPath);
  const t: GroundTruth = {
    ...textTruth,
    file: gzPath,
    bytes: (await stat(gzPath)).size,
    generationSeconds: (performance.now() - started) / 1000,
  };
  await writeTruth(gzPath, t);
  return t;
};

// `node dist/bench/generate-trace.js OUT [MiB] [format,...]`: a file of chosen formats, e.g. to profile one
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [out, mib = '50', only] = process.argv.slice(2);
  if (out === undefined) {
    console.error('usage: node dist/bench/generate-trace.js OUT [MiB] [bare|ngrep|sipdump|pjsip|sipp,...]');
    process.exit(2);
  }
  const known = ['bare', 'ngrep', 'sipdump', 'pjsip', 'sipp'];
  const asked = only?.split(',');
  // an unknown name would leave no format to write, and the trace would never reach its size
  const unknown = asked?.filter((f) => !known.includes(f)) ?? [];
  if (unknown.length > 0 || asked?.length === 0) {
    console.error(`unknown format ${unknown.join(', ') || '(none)'}; expected ${known.join(', ')}`);
    process.exit(2);
  }
  const formats = asked?.filter((f): f is TextFormat => known.includes(f));
  const t = await generateTrace(out, { seed: TRACE_SEED, targetBytes: Number(mib) * MIB, formats });
  console.log(JSON.stringify({ ...t, formats: t.formats }, null, 1));
}
