import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { ScanResult } from '../../../lambda/engine/tally.js';
import { replayAtRandomCuts, scanWhole } from '../../support/collect.js';
import { CORPUS_DIR } from '../../support/corpus.js';

/** The counts a damaged copy must keep where the damage did not fall. */
const counts = (r: ScanResult) => ({
  responses: r.responses,
  byCode: r.byCode,
  timed: r.timedResponses,
  retransmissions: r.retransmissions,
});

describe('NUL bytes in text logs (copytruncate, crashes)', () => {
  it.each([
    ['mixed.ngrep.txt', false],
    ['sipp-uac-invite.messages.log', false],
    ['mixed.kamailio-sipdump.data', false],
    ['mixed.tcpdump-A.txt.gz', true],
  ] as const)(
    'reads %s after the run of NULs logrotate copytruncate leaves before it, and says so',
    async (name, gzipped) => {
      // Prepare: the writer kept its offset (a shell's `>`), so the truncated file is NULs up to it, then the log
      // (before: the first entry was lost or read as bare SIP, untimed, with no anomaly)
      const raw = readFileSync(`${CORPUS_DIR}${name}`);
      const log = gzipped ? gunzipSync(raw) : raw;
      const truncated = Buffer.concat([Buffer.alloc(65_536), log]);

      // Act
      const [got, plain] = [await scanWhole(truncated), await scanWhole(log)];

      // Assess
      expect(counts(got)).toEqual(counts(plain));
      expect(got.anomalies).toEqual({ ...plain.anomalies, 'nul-bytes': 1 });
      expect(got.unrecognizedBytes).toBe(plain.unrecognizedBytes + 65_536);
    },
  );

  it('counts one anomaly per run of NULs wherever it falls, however the input is chunked', async () => {
    // Prepare: a page a crash left zeroed in the middle of a message and a zeroed tail (before: responses lost
    // with no anomaly and, in sipdump, no unrecognised byte either)
    const log = Buffer.from(readFileSync(`${CORPUS_DIR}mixed.kamailio-sipdump.data`));
    log.fill(0, 800_000, 804_096);
    log.fill(0, log.length - 8_192);

    // Act
    const got = await scanWhole(log);
    const { differing } = await replayAtRandomCuts(log.subarray(790_000, 820_000), 6);

    // Assess
    expect(got.anomalies['nul-bytes']).toBe(2);
    expect(got.responses).toBeLessThan(1834);
    expect(differing).toEqual([]);
  });
});
