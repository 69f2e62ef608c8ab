import { describe, expect, it } from 'vitest';
import { ForwardSearch } from '../../../../lambda/engine/formats/forward-search.js';
import { seededRandom } from '../../../support/line-mutations.js';

/**
 * ForwardSearch stands in for buf.indexOf(needle, from) bounded to [from, to), remembering what it read. It must
 * answer exactly what the bounded indexOf answers, for searches that move forward (as a reader's lines do), jump
 * back, and change buffers: checked here against that reference on seeded random buffers and search sequences.
 */

/** What a search of [from, to) must give: the first whole match in it, by indexOf. */
const reference = (buf: Buffer, needle: Buffer, from: number, to: number): number => {
  const i = buf.indexOf(needle, from);
  return i >= 0 && i + needle.length <= Math.min(to, buf.length) ? i : -1;
};

describe('ForwardSearch', () => {
  it('finds what a bounded indexOf finds, for forward, backward and fresh-buffer searches', () => {
    // Prepare: buffers of a few letters, so matches of "]]>" and "ab" are frequent and sometimes missing
    const next = seededRandom(3261);
    const mismatches: string[] = [];
    let checked = 0;
    for (const text of [']]>', 'ab', 'a']) {
      const needle = Buffer.from(text, 'latin1');
      const search = new ForwardSearch(needle);
      for (let b = 0; b < 40; b++) {
        const size = 1 + Math.floor(next() * 400);
        const letters = next() < 0.3 ? 'xy' : ']>xab';
        const buf = Buffer.from(
          Array.from({ length: size }, () => letters[Math.floor(next() * letters.length)]).join(''),
          'latin1',
        );
        let from = 0;
        for (let q = 0; q < 200; q++) {
          // mostly forward by a little, sometimes back, with windows short and long (past the buffer's end too)
          from = next() < 0.9 ? from + Math.floor(next() * 8) : Math.floor(next() * size);
          const to = from + Math.floor(next() * (next() < 0.5 ? 12 : 600));
          // Act
          const got = search.find(buf, from, to);
          // Assess (collected, so one failure shows its case)
          const want = reference(buf, needle, from, to);
          checked++;
          if (got !== want) mismatches.push(`${text} in ${buf.toString('latin1')} [${from}, ${to}): ${got} != ${want}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(checked).toBe(3 * 40 * 200);
  });
});
