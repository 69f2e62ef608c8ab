import { describe, expect, it } from 'vitest';
import { KeyArena } from '../../../lambda/engine/key-arena.js';

const PAGE = 256 * 1024;
const keyOf = (i: number, length = 90): Uint8Array => {
  const k = new Uint8Array(length);
  for (let j = 0; j < length; j++) k[j] = (i * 31 + j * 7) & 0xff;
  return k;
};

describe('KeyArena', () => {
  it('holds 100,000 keys of 90 bytes in pages, one page more than their bytes at most, each key intact', () => {
    // Prepare
    const arena = new KeyArena();

    // Act
    const at = Array.from({ length: 100_000 }, (_, i) => arena.store(keyOf(i), 90));

    // Assess: 9 MB of keys in 9 MB of pages (a doubling array held 16 MB), every key where it was put
    expect(arena.bytesHeld).toBeLessThanOrEqual(100_000 * 90 + PAGE);
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
    expect(next).toBe(small + 90);
    expect(arena.bytesHeld).toBe(PAGE + PAGE + 10);
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
});
