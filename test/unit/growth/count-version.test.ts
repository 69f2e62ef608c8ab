/**
 * countVersion without a key progress store (every version counted whole): the scan options it is given reach the
 * scan. An in-memory ObjectSource stands for S3 (a port of its own, not the code under test).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { countVersion } from '../../../lambda/growth/count-version.js';
import type { LogSink, ObjectSource } from '../../../lambda/ports.js';
import { CORPUS_DIR, expectedFor } from '../../support/corpus.js';

const FILE = 'mixed.pcap';
const BYTES = readFileSync(`${CORPUS_DIR}${FILE}`);

const source: ObjectSource = {
  head: async () => ({ eTag: 'e', size: BYTES.length }),
  open: async () => ({
    body: (async function* () {
      yield BYTES;
    })(),
    size: BYTES.length,
  }),
};
const quiet: LogSink = { info: () => undefined, warn: () => undefined, error: () => undefined };

const count = (kpis: boolean) =>
  countVersion({ bucket: 'b', key: FILE, eTag: 'e', size: BYTES.length }, { bucket: 'b', key: FILE, eTag: 'e' }, 'me', {
    source,
    log: quiet,
    kpis,
    nowMs: 0,
    refTimeMs: 0,
    leaseMs: 60_000,
  });

describe('countVersion', () => {
  it('tracks the KPIs only when asked to, and counts the same responses either way', async () => {
    // Act
    const on = await count(true);
    const off = await count(false);
    // Assess
    expect(on.result.kpis.inviteTransactions).toBe(406);
    expect(off.result.kpis.inviteTransactions).toBe(0);
    expect([off.result.responses, off.result.byClass]).toEqual([
      expectedFor(FILE).responses,
      expectedFor(FILE).responses_by_class,
    ]);
    expect(off.result.byCode).toEqual(on.result.byCode);
  });
});
