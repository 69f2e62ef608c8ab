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
