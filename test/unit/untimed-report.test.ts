import { createReadStream } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatTable } from '../../lambda/cli/report/format-table.js';
import { scan } from '../../lambda/engine/index.js';
import type { FileSummary } from '../../lambda/run-scan.js';
import type { FileStatus } from '../../local/file-status.js';
import { NO_PAINT, renderFileLine } from '../../local/screen.js';
import { CORPUS_DIR } from '../support/corpus.js';

describe('untimed responses in the CLI table', () => {
  it('says how many responses carry no time: all of ngrep without -t, none of tcpdump -A once it has a reference', async () => {
    // Act
    const ngrep = await scan(createReadStream(`${CORPUS_DIR}mixed.ngrep.txt`), {
      referenceMs: Date.parse('2026-11-24T14:00:00Z'),
    });
    const tcpdump = await scan(createReadStream(`${CORPUS_DIR}mixed.tcpdump-A.txt.gz`), {
      referenceMs: Date.parse('2026-11-24T14:00:00Z'),
    });

    // Assess
    const lastLine = (t: string): string => t.split('\n').at(-1) ?? '';
    expect(lastLine(formatTable('ngrep', ngrep, 1))).toBe(
      '  untimed  1834 of 1834 responses carry no time (no per-minute series; published at the upload minute)',
    );
    expect(lastLine(formatTable('tcpdump', tcpdump, 1))).toBe('  unrecognised bytes  0');
  });
});

describe('untimed responses in the npm start file line', () => {
  it('shows how many of a file’s responses landed on the upload minute', () => {
    // Prepare: the summary the handler writes for the corpus's ngrep text (no time in the log)
    const summary: FileSummary = {
      bucket: 'sip-logs',
      key: 'logs/examples/mixed.ngrep.txt.gz',
      bytes: 1_793_410,
      formats: ['gzip', 'ngrep'],
      responses: 1834,
      responsesByClass: { '1xx': 648, '2xx': 784, '3xx': 22, '4xx': 279, '5xx': 55, '6xx': 46 },
      retransmittedResponses: 0,
      anomalies: {},
      restampedResponses: 0,
      untimedResponses: 1834,
      datums: 20,
      batches: 1,
      calls: 1,
      attempt: 1,
      durationMs: 300,
      mbPerSecond: 6,
    };
    const file: FileStatus = {
      key: summary.key,
      size: 130_692,
      state: 'done',
      receiveCount: 1,
      bytesRead: undefined,
      summary,
      errorCode: undefined,
      reason: undefined,
      updatedMs: 0,
    };

    // Act
    const line = renderFileLine(file, NO_PAINT);

    // Assess
    expect(line).toBe(
      'done         logs/examples/mixed.ngrep.txt.gz                  131 kB      1,834 responses  0.3 s  1,834 untimed (at the upload minute)',
    );
  });
});
