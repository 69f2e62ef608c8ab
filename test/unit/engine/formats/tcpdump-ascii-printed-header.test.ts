import { describe, expect, it } from 'vitest';
import { ANY, type Spec } from '../../../../lambda/engine/formats/tcpdump-ascii/header-spec.js';
import { printedHeaderLength } from '../../../../lambda/engine/formats/tcpdump-ascii/printed-header.js';

/**
 * How many characters a packet's header bytes take in `tcpdump -A` text (print-ascii.c's ascii_print: a graphic byte,
 * a space, a tab or a LF prints as itself, a CR before a LF is dropped, anything else prints as '.'). The printed
 * strings below are written by hand from those rules; each ends with the payload's first characters.
 */
const lengthOf = (printed: string, spec: Spec): number => {
  const buf = Buffer.from(printed, 'latin1');
  return printedHeaderLength(buf, 0, buf.length, spec);
};

describe('printedHeaderLength', () => {
  it('takes one character per byte when no LF is among them', () => {
    // bytes 45 00 00 01 -> "E..."
    expect(lengthOf('E...INVITE', [0x45, ANY, ANY, 0x01])).toBe(4);
  });

  it('reads a 0x0a header byte (the first byte of a 10/8 address) as its printed LF', () => {
    // bytes 45 00 0a 01 02 -> "E." LF ".." ; then the payload
    expect(lengthOf('E.\n..INVITE', [0x45, ANY, 0x0a, 0x01, 0x02])).toBe(5);
  });

  it('allows for a CR byte that was dropped before a LF byte', () => {
    // bytes 45 00 0a 01 0d 0a 02 -> "E." LF "." (CR dropped) LF "."
    expect(lengthOf('E.\n.\n.INVITE', [0x45, ANY, 0x0a, 0x01, 0x0d, 0x0a, 0x02])).toBe(6);
    // the same bytes with the CR and LF unknown: one character per byte does not fit ('I' is no 0x02), the dropped
    // CR does
    expect(lengthOf('E.\n.\n.INVITE', [0x45, ANY, 0x0a, 0x01, ANY, ANY, 0x02])).toBe(6);
  });

  it('takes the reading with the fewest dropped CRs when several fit', () => {
    // one character per byte (4) and a dropped CR before the LF (3) both fit
    expect(lengthOf('E.\n.INVITE', [0x45, ANY, ANY, ANY])).toBe(4);
  });

  it('gives -1 when no reading fits', () => {
    expect(lengthOf('E.XINVITE', [0x45, 0x0a, 0x03])).toBe(-1);
    expect(lengthOf('E\n\nINVITE', [0x45, 0x01, 0x02])).toBe(-1);
    // the printed data ends before the header does
    expect(lengthOf('E.\n', [0x45, ANY, 0x0a, 0x01, 0x02])).toBe(-1);
  });

  it('gives the same lengths on repeated calls of growing headers (its reused state lists)', () => {
    const long: Spec = [0x45, ...new Array<number>(70).fill(ANY), 0x0a, 0x01];
    const printed = `E${'.'.repeat(70)}\n.INVITE`;
    for (let i = 0; i < 3; i++) {
      expect(lengthOf(printed, long)).toBe(73);
      expect(lengthOf('E.\n.\n.INVITE', [0x45, ANY, 0x0a, 0x01, 0x0d, 0x0a, 0x02])).toBe(6);
    }
  });
});
