/** The bench's result table, as aligned plain text for the terminal and as Markdown for the README. */

/** One line of the table: one tool on one file. */
export interface ResultRow {
  readonly file: string;
  readonly sizeMiB: number;
  readonly tool: string;
  readonly runs: number;
  /** Median seconds, or null when the tool did not run. */
  readonly seconds: number | null;
  readonly maxRssMiB: number | null;
  /** Throughput compared with the file's reference tool, with the target when there is one. */
  readonly vsReference: string;
  /** Whether the counts equal the ground truth (engine rows), or what the tool counted. */
  readonly counts: string;
}

const HEADERS = [
  'file',
  'size MiB',
  'tool',
  'runs',
  'median s',
  'MiB/s',
  'vs reference (target)',
  'peak RSS MiB',
  'counts = truth',
] as const;

const cells = (r: ResultRow): string[] => [
  r.file,
  r.sizeMiB.toFixed(1),
  r.tool,
  r.runs === 0 ? '-' : String(r.runs),
  r.seconds === null ? '-' : r.seconds.toFixed(3),
  r.seconds === null || r.seconds === 0 ? '-' : (r.sizeMiB / r.seconds).toFixed(1),
  r.vsReference,
  r.maxRssMiB === null ? '-' : r.maxRssMiB.toFixed(0),
  r.counts,
];

const NUMERIC = new Set([1, 3, 4, 5, 7]);

/** Columns padded to line up in a terminal. */
export const plainTable = (rows: readonly ResultRow[]): string => {
  const all = [[...HEADERS], ...rows.map(cells)];
  const widths = HEADERS.map((_, i) => Math.max(...all.map((c) => (c[i] ?? '').length)));
  const line = (c: readonly string[]): string =>
    c
      .map((s, i) => (NUMERIC.has(i) ? s.padStart(widths[i] ?? 0) : s.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(all[0] ?? []), rule, ...all.slice(1).map(line)].join('\n');
};

/** A GitHub-flavoured Markdown table (pipes inside cells escaped). */
export const markdownTable = (rows: readonly ResultRow[]): string => {
  const esc = (s: string): string => s.replaceAll('|', '\\|');
  const align = HEADERS.map((_, i) => (NUMERIC.has(i) ? '---:' : '---'));
  return [
    `| ${HEADERS.join(' | ')} |`,
    `| ${align.join(' | ')} |`,
    ...rows.map((r) => `| ${cells(r).map(esc).join(' | ')} |`),
  ].join('\n');
};
