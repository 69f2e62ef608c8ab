import { describe, expect, it } from 'vitest';
import { CORRUPT, type RecordLayout, RecordSplitter } from '../../../../lambda/engine/pcap/record-splitter.js';

/** Records of a 1-byte length (header included) and content; a length of 0xff is corrupt. */
class LengthPrefixed implements RecordLayout {
  readonly records: string[] = [];
  headerBytes(): number {
    return 1;
  }
  recordLength(buf: Buffer, pos: number): number {
    const n = buf[pos] ?? 0;
    return n === 0xff ? CORRUPT : n;
  }
  record(buf: Buffer, start: number, end: number): boolean {
    this.records.push(buf.toString('latin1', start + 1, end));
    return true;
  }
}

const file = Buffer.concat(
  ['a', 'bcd', '', 'efghij'].map((s) => Buffer.concat([Buffer.from([s.length + 1]), Buffer.from(s)])),
);

describe('RecordSplitter', () => {
  it('gives the same records wherever the input is cut into three chunks', () => {
    for (let i = 0; i <= file.length; i++) {
      for (let j = i; j <= file.length; j++) {
        // Prepare
        const layout = new LengthPrefixed();
        const splitter = new RecordSplitter(layout);

        // Act
        splitter.feed(file.subarray(0, i));
        splitter.feed(file.subarray(i, j));
        splitter.feed(file.subarray(j));

        // Assess
        expect([layout.records, splitter.pendingBytes], `cut at ${i}, ${j}`).toEqual([['a', 'bcd', '', 'efghij'], 0]);
      }
    }
  });

  it('holds the unfinished record of a cut input', () => {
    // Prepare
    const layout = new LengthPrefixed();
    const splitter = new RecordSplitter(layout);

    // Act
    splitter.feed(file.subarray(0, file.length - 2));

    // Assess
    expect([layout.records, splitter.pendingBytes]).toEqual([['a', 'bcd', ''], 5]);
  });

  it('stops at a corrupt length, and at a zero length that would never advance', () => {
    // Prepare
    const corrupt = new LengthPrefixed();
    const zero = new LengthPrefixed();
    const a = new RecordSplitter(corrupt);
    const b = new RecordSplitter(zero);

    // Act
    a.feed(Buffer.from([2, 0x41, 0xff, 2, 0x42]));
    b.feed(Buffer.from([2, 0x41, 0, 2, 0x42]));

    // Assess
    expect([corrupt.records, a.corrupt, zero.records, b.corrupt]).toEqual([['A'], true, ['A'], true]);
  });
});
