import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readFixture, scanWhole } from '../../../support/collect.js';
import { readTsharkReading, type TsharkReading } from '../../../support/tshark-counts.js';

/**
 * Byte shapes of the wire found by a differential fuzz against tshark (test/fixtures/wire-shapes/README.md): each
 * capture and every text tcpdump and ngrep printed of it count what tshark counts on the capture.
 */

const TRUTH = readTsharkReading<Record<string, TsharkReading>>('wire-shapes/tshark.json');

const FILES = readdirSync(new URL('../../../fixtures/wire-shapes/', import.meta.url)).filter((f) =>
  /\.(pcap|txt)$/.test(f),
);

describe('wire shapes read as tshark reads the capture', () => {
  it('has a capture and its texts for each shape', () => {
    expect(FILES.length).toBe(19);
  });

  it.each(FILES)('counts %s as tshark counts its capture', async (name) => {
    // Prepare: before, a printed datagram whose first line tshark rejects had a status line in its body (or a message after a keep-alive) counted, and ngrep's dotted
    // modes read a UTF-8 reason phrase's dots as a blank line (every header lost: method UNKNOWN, no resend)
    const want = TRUTH[name.slice(0, name.indexOf('.'))];

    // Act
    const got = await scanWhole(readFixture(`wire-shapes/${name}`));

    // Assess
    const { responses, requests, byCode, byMethod, retransmissions } = got;
    expect({ responses, requests, byCode, byMethod, retransmissions }).toEqual(want);
  });
});
