import { describe, expect, it } from 'vitest';
import { KeyArena } from '../../../lambda/engine/key-arena.js';

const PAGE = 256 * 1024;
const keyOf = (i: number, length = 90): Uint8Array => {
  const k = new Uint8Array(length);
  for (let j = 0; j < length; j++) k[j] = (i * 31 + j * 7) & 0xff;
  return k;
};

describe('KeyArena', () => {
  it('holds 100,000 keys of 90 bytes in pages (8-byte aligned records), one page more than that at most, each intact', () => {
    // Prepare
    const arena = new KeyArena();

    // Act
    const at = Array.from({ length: 100_000 }, (_, i) => arena.store(keyOf(i), 90));

    // Assess: 9.6 MB of records in 9.6 MB of pages (a doubling array held 16 MB), every key where it was put
    expect(arena.bytesHeld).toBeLessThanOrEqual(100_000 * 96 + PAGE);
    expect(at.every((a) => a % 8 === 0)).toBe(true);
    expect(at.every((a, i) => arena.equals(a, keyOf(i), 90))).toBe(true);
    expect(arena.equals(at[5] ?? 0, keyOf(6), 90)).toBe(false);
  });

  it('gives a key longer than a page a page of its own and keeps filling the page before it', () => {
    // Prepare
    const arena = new KeyArena();
    const small = arena.store(keyOf(1), 90);

    // Act
    const big = arena.store(keyOf(2, PAGE + 10), PAGE + 10);
    const next = arena.store(keyOf(3), 90);

    // Assess
    expect(arena.equals(small, keyOf(1), 90)).toBe(true);
    expect(arena.equals(big, keyOf(2, PAGE + 10), PAGE + 10)).toBe(true);
    expect(arena.equals(next, keyOf(3), 90)).toBe(true);
    expect(next).toBe(small + 96);
    expect(arena.bytesHeld).toBe(PAGE + PAGE + 16);
  });

  it('reuses its pages after clear, drops the oversized ones, and copies keys from another arena', () => {
    // Prepare
    const arena = new KeyArena();
    for (let i = 0; i < 6000; i++) arena.store(keyOf(i), 90);
    arena.store(keyOf(0, PAGE * 2), PAGE * 2);
    const held = arena.bytesHeld;
    const other = new KeyArena();
    const there = other.store(keyOf(42), 90);

    // Act
    arena.clear();
    const copied = arena.copyFrom(other, there, 90);
    for (let i = 0; i < 6000; i++) arena.store(keyOf(i), 90);

    // Assess: same pages as before less the oversized one
    expect(arena.equals(copied, keyOf(42), 90)).toBe(true);
    expect(copied).toBe(0);
    expect(arena.bytesHeld).toBe(held - PAGE * 2);
  });

  it('reads and writes the Float64 and Int32 fields of a record in place, on any page', () => {
    // Prepare: records of 32 bytes, past the first page
    const arena = new KeyArena();
    const at = Array.from({ length: 10_000 }, () => arena.allocate(32));

    // Act
    at.forEach((a, i) => {
      arena.setFloat(a, i + 0.5);
      arena.setInt(a + 8, -i);
      arena.setInt(a + 12, i * 3);
    });

    // Assess: 320,000 bytes span two pages; every field as written
    expect(arena.bytesHeld).toBe(2 * PAGE);
    expect(
      at.every((a, i) => arena.float(a) === i + 0.5 && arena.int(a + 8) === -i && arena.int(a + 12) === i * 3),
    ).toBe(true);
  });
});
