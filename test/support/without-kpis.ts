import type { ScanResult } from '../../lambda/engine/tally.js';

/** A scan result without its RFC 6076 KPIs, for tests of the message counts (KPIs: test/corpus/kpis.test.ts). */
export const withoutKpis = (r: ScanResult): Omit<ScanResult, 'kpis'> => {
  const { kpis: _kpis, ...rest } = r;
  return rest;
};
