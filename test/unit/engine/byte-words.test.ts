import { describe, expect, it } from 'vitest';
import { firstLane, lanesOf, matchingLanes } from '../../../lambda/engine/byte-words.js';
import { seededRandom } from '../../support/line-mutations.js';

/** The index of the first of the word's four bytes (lowest first, as a little-endian read orders them) equal to `byte`, -1 for none. */
const reference = (bytes: readonly number[], byte: number): number => bytes.indexOf(byte);

describe('four bytes at a time', () => {
  it('finds the first lane holding a byte, for every byte value, lane and neighbour a borrow could disturb', () => {
    // Prepare: each byte value in each lane, the other lanes from values around it (b - 1 and b + 1 are where a
    // borrow between lanes would show), 0x00, 0x80 and 0xff, and random ones
    const random = seededRandom(20261206);
    const mismatches: string[] = [];
    const view = new DataView(new ArrayBuffer(4));
    for (let byte = 0; byte < 256; byte++) {
      const others = [0x00, 0x80, 0xff, (byte + 1) & 0xff, (byte + 255) & 0xff, byte ^ 0x80];
      for (let k = 0; k < 40; k++) others.push(Math.floor(random() * 256));
      for (let n = 0; n < 400; n++) {
        const bytes = [0, 1, 2, 3].map(() => {
          const r = random();
          // a lane holds the byte itself a quarter of the time, else one of the others
          return r < 0.25 ? byte : (others[Math.floor(random() * others.length)] ?? 0);
        });
        for (const [i, b] of bytes.entries()) view.setUint8(i, b);

        // Act
        const m = matchingLanes(view.getInt32(0, true), lanesOf(byte));
        const found = m === 0 ? -1 : firstLane(m);

        // Assess (collected: one expect for 100,000 words)
        if (found !== reference(bytes, byte)) mismatches.push(`${byte}: [${bytes}] -> ${found}`);
      }
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
  });
});
