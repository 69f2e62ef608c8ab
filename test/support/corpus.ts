import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { scan } from '../../lambda/engine/index.js';
import type { ScanResult } from '../../lambda/engine/tally.js';

/** The shared corpus: ../shared/corpus beside the repository (CI puts it there). */
export const CORPUS_DIR = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));

/** Ground truth of one corpus file, as tshark counted it (see the corpus README). */
export interface Expected {
  readonly file: string;
  readonly format: string;
  readonly messages: number | null;
  readonly requests?: number;
  readonly responses: number;
  readonly responses_by_class: Record<string, number>;
  readonly responses_by_code: Record<string, number>;
  readonly responses_by_method: Record<string, Record<string, number>>;
  readonly retransmissions?: { readonly total: number; readonly requests: number; readonly responses: number };
  readonly requests_by_method?: Record<string, number>;
  readonly responses_by_class_excluding_retransmissions?: Record<string, number>;
}

/** Names of every corpus file listed in the manifest. */
export const corpusFiles = (): string[] => {
  const manifest = JSON.parse(readFileSync(`${CORPUS_DIR}expected/MANIFEST.json`, 'utf8')) as {
    files: { file: string }[];
  };
  return manifest.files.map((f) => f.file).filter((f) => existsSync(`${CORPUS_DIR}${f}`));
};

/** The expected counts of a corpus file. */
export const expectedFor = (file: string): Expected =>
  JSON.parse(readFileSync(`${CORPUS_DIR}expected/${file}.expected.json`, 'utf8')) as Expected;

/** Scans a corpus file with the real engine, reading it as a stream. */
export const scanCorpusFile = (file: string, highWaterMark = 1 << 20): Promise<ScanResult> =>
  scan(createReadStream(`${CORPUS_DIR}${file}`, { highWaterMark }));

/** Sorted copy of a nested count record, so that key order never matters in comparisons. */
export const normaliseByMethod = (r: Record<string, Record<string, number>>): Record<string, Record<string, number>> =>
  Object.fromEntries(
    Object.keys(r)
      .sort()
      .map((m) => [m, Object.fromEntries(Object.entries(r[m] ?? {}).sort(([a], [b]) => a.localeCompare(b)))]),
  );
