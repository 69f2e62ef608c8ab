import { readFile, rename, writeFile } from 'node:fs/promises';
import type { ScanResult } from '../lambda/engine/index.js';
import type { ResponseClass } from '../lambda/engine/types.js';
import type { FileSink } from './file-sink.js';
import type { WireMessage } from './sip-traffic.js';

/**
 * What a generated file holds, known by construction: the generator counts every message it
 * writes. The bench compares the engine's counts with it. Counting rules are tshark's (see
 * ../shared/corpus/README.md): every response message counts, retransmissions included; a status
 * line inside a body does not; `retransmissions` are the byte-identical UDP resends tshark marks
 * `sip.resend`.
 */

/** Bump when the traffic or a renderer changes, so stale data files are regenerated. */
export const GENERATOR_VERSION = 2;

/** Per text format: how much of the file it makes up. */
export interface FormatShare {
  blocks: number;
  bytes: number;
  messages: number;
}

/** The ground truth of one generated file, stored beside it as `<file>.truth.json`. */
export interface GroundTruth {
  readonly generatorVersion: number;
  readonly seed: number;
  readonly targetBytes: number;
  readonly file: string;
  readonly bytes: number;
  readonly messages: number;
  readonly requests: number;
  readonly responses: number;
  readonly byClass: Record<ResponseClass, number>;
  readonly byCode: Record<string, number>;
  readonly retransmissions: { readonly requests: number; readonly responses: number };
  readonly statusLinesInsideBodies: number;
  readonly generationSeconds: number;
  readonly formats?: Record<string, FormatShare>;
  readonly tcp?: Record<string, number>;
}

/** The part of a ScanResult the bench checks (what the child process sends back). */
export type CountedResult = Pick<
  ScanResult,
  | 'formats'
  | 'bytes'
  | 'messages'
  | 'requests'
  | 'responses'
  | 'byClass'
  | 'byCode'
  | 'retransmissions'
  | 'anomalies'
  | 'unrecognizedBytes'
>;

const CLASSES: readonly ResponseClass[] = ['1xx', '2xx', '3xx', '4xx', '5xx', '6xx'];

/** Running counts while a file is written. */
export class TruthCounter {
  messages = 0;
  requests = 0;
  responses = 0;
  readonly byClass: Record<ResponseClass, number> = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, '6xx': 0 };
  readonly byCode: Record<string, number> = {};
  retransmittedRequests = 0;
  retransmittedResponses = 0;
  statusLinesInsideBodies = 0;

  /** Counts one message written to the file. */
  add(m: WireMessage): void {
    this.messages++;
    this.statusLinesInsideBodies += m.bodyStatusLines;
    if (m.statusCode === 0) {
      this.requests++;
      if (m.retransmission) this.retransmittedRequests++;
      return;
    }
    this.responses++;
    const cls = CLASSES[Math.floor(m.statusCode / 100) - 1];
    if (cls === undefined) throw new Error(`generator bug: status code ${m.statusCode} has no class`);
    this.byClass[cls]++;
    const key = String(m.statusCode);
    this.byCode[key] = (this.byCode[key] ?? 0) + 1;
    if (m.retransmission) this.retransmittedResponses++;
  }

  /** The stored form. */
  toTruth(
    meta: Pick<GroundTruth, 'seed' | 'targetBytes' | 'file' | 'bytes' | 'generationSeconds' | 'formats' | 'tcp'>,
  ): GroundTruth {
    const byCode: Record<string, number> = {};
    for (const k of Object.keys(this.byCode).sort()) byCode[k] = this.byCode[k] ?? 0;
    return {
      generatorVersion: GENERATOR_VERSION,
      ...meta,
      messages: this.messages,
      requests: this.requests,
      responses: this.responses,
      byClass: { ...this.byClass },
      byCode,
      retransmissions: { requests: this.retransmittedRequests, responses: this.retransmittedResponses },
      statusLinesInsideBodies: this.statusLinesInsideBodies,
    };
  }
}

/** Path of the truth file beside a data file. */
export const truthPath = (file: string): string => `${file}.truth.json`;

/** Writes a truth file. */
export const writeTruth = async (file: string, truth: GroundTruth): Promise<void> => {
  await writeFile(truthPath(file), `${JSON.stringify(truth, null, 1)}\n`);
};

/** What a generator passes on to the truth of the file it finishes, besides what it counted. */
export type GenerationMeta = Pick<GroundTruth, 'seed' | 'targetBytes' | 'formats' | 'tcp'> & {
  /** performance.now() when generation started. */
  readonly startedMs: number;
};

/**
 * The last step of every generator: closes the sink's temporary file `tmp`, moves it to `path` (so
 * that a file there is always whole), and writes the truth of what `counter` saw beside it.
 */
export const finishGeneratedFile = async (
  sink: FileSink,
  tmp: string,
  path: string,
  counter: TruthCounter,
  meta: GenerationMeta,
): Promise<GroundTruth> => {
  await sink.close();
  await rename(tmp, path);
  const { startedMs, seed, targetBytes, ...breakdown } = meta;
  const truth = counter.toTruth({
    seed,
    targetBytes,
    file: path,
    bytes: sink.bytes,
    generationSeconds: (performance.now() - startedMs) / 1000,
    ...breakdown,
  });
  await writeTruth(path, truth);
  return truth;
};

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;

/** Reads a truth file; null when it is missing, unreadable or from another generator version. */
export const readTruth = async (file: string): Promise<GroundTruth | null> => {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(truthPath(file), 'utf8'));
  } catch {
    return null;
  }
  if (!isRecord(raw) || raw.generatorVersion !== GENERATOR_VERSION) return null;
  const ok =
    typeof raw.bytes === 'number' &&
    typeof raw.responses === 'number' &&
    typeof raw.requests === 'number' &&
    isRecord(raw.byClass) &&
    isRecord(raw.byCode) &&
    isRecord(raw.retransmissions);
  // shape checked above; the file is our own output
  return ok ? (raw as unknown as GroundTruth) : null;
};

/** Every difference between the engine's counts and the truth, as readable lines; empty when they agree. */
export const compareCounts = (got: CountedResult, want: GroundTruth): string[] => {
  const diffs: string[] = [];
  const check = (what: string, g: number | undefined, w: number | undefined): void => {
    if ((g ?? 0) !== (w ?? 0)) diffs.push(`${what}: engine ${g ?? 0}, truth ${w ?? 0}`);
  };
  check('responses', got.responses, want.responses);
  check('requests', got.requests, want.requests);
  for (const cls of CLASSES) check(`responses ${cls}`, got.byClass[cls], want.byClass[cls]);
  for (const code of new Set([...Object.keys(got.byCode), ...Object.keys(want.byCode)]))
    check(`responses ${code}`, got.byCode[code], want.byCode[code]);
  check('retransmitted responses', got.retransmissions.responses, want.retransmissions.responses);
  check('retransmitted requests', got.retransmissions.requests, want.retransmissions.requests);
  return diffs;
};
