import { kpiRatios } from '../../lambda/engine/kpis.js';
import type { ScanResult } from '../../lambda/engine/tally.js';
import { readFixture } from './collect.js';

/** tshark's responses of a capture, as our result counts them (test/fixtures/text/tshark-counts.py writes them). */
export interface TsharkCounts {
  readonly responses: number;
  readonly byCode: Record<string, number>;
  readonly byMethod: Record<string, Record<string, number>>;
}

/** The counts committed beside a fixture (a path under test/fixtures). */
export const readTsharkCounts = (fixture: string): TsharkCounts =>
  JSON.parse(readFixture(fixture).toString('utf8')) as TsharkCounts;

/**
 * A validation round's fuller reading of a capture (PDML, one message per `<proto sip>`: requests and `sip.resend`
 * too), committed beside a fixture as `*.tshark.json`.
 */
export interface TsharkReading extends TsharkCounts {
  readonly requests: number;
  readonly retransmissions: { readonly requests: number; readonly responses: number };
}

/** The RFC 6076 ratios of a reading's INVITE transactions (Call-ID, CSeq number, top Via branch; first final). */
export interface TsharkKpis {
  readonly inviteTransactions: number;
  readonly ser: number | null;
  readonly seer: number | null;
  readonly isa: number | null;
}

/** A reading with its KPI ratios (its JSON holds their numerators too). */
export interface TsharkReadingWithKpis extends TsharkReading {
  readonly kpis: TsharkKpis;
}

/** A reading committed beside a fixture (a path under test/fixtures), or a file of readings by capture. */
export const readTsharkReading = <T = TsharkReading>(fixture: string): T =>
  JSON.parse(readFixture(fixture).toString('utf8')) as T;

/** The four KPI figures of a reading, without the numerators its JSON also holds. */
export const tsharkKpis = (k: TsharkKpis): TsharkKpis => ({
  inviteTransactions: k.inviteTransactions,
  ser: k.ser,
  seer: k.seer,
  isa: k.isa,
});

/** A scan's KPIs in a reading's shape. */
export const scanKpis = (r: ScanResult): TsharkKpis => {
  const { ser, seer, isa } = kpiRatios(r.kpis);
  return { inviteTransactions: r.kpis.inviteTransactions, ser, seer, isa };
};
