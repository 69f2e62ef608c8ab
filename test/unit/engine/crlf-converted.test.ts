import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isConvertedToCrlf } from '../../../lambda/engine/crlf-converted.js';
import { readFixture, replayAtRandomCuts, scanWhole } from '../../support/collect.js';
import { CORPUS_DIR, expectedFor } from '../../support/corpus.js';

/** What unix2dos makes of a text: every LF preceded by a CR. */
const toCrlf = (text: Buffer): Buffer => Buffer.from(text.toString('latin1').replace(/\n/g, '\r\n'), 'latin1');

describe('ngrep output converted to CRLF line ends (tcpdump: tcpdump-ascii-crlf.test.ts)', () => {
  it('counts the corpus ngrep log converted to CRLF as tshark counts its capture', async () => {
    // Prepare: before, 358 of 1,834 responses (the CR after ngrep's '.' ran the blocks together)
    const lf = readFileSync(`${CORPUS_DIR}mixed.ngrep.txt`);
    const expected = expectedFor('mixed.ngrep.txt');

    // Act
    const result = await scanWhole(toCrlf(lf));

    // Assess
    expect(result.formats).toEqual(['ngrep']);
    expect(result.byClass).toEqual(expected.responses_by_class);
    expect(result.responses).toBe(1834);
  });

  it.each([
    'ngrep-W-byline-noquiet-crafted.txt',
    'ngrep-W-normal-crafted.txt',
    'ngrep-W-single-t-crafted.txt',
    'ngrep-x-crafted.txt',
  ])('counts %s with CRLF line ends as with LF', async (name) => {
    // Prepare
    const lf = readFixture(`text/${name}`);

    // Act
    const fromLf = await scanWhole(lf);
    const fromCrlf = await scanWhole(toCrlf(lf));

    // Assess
    expect(fromLf.responses).toBeGreaterThan(0);
    expect([fromCrlf.byCode, fromCrlf.byMethod, fromCrlf.retransmissions]).toEqual([
      fromLf.byCode,
      fromLf.byMethod,
      fromLf.retransmissions,
    ]);
  });

  it('gives the same result for a CRLF ngrep text however it is chunked (a CR and its LF in different chunks)', async () => {
    // Prepare
    const text = toCrlf(readFixture('text/ngrep-W-byline-noquiet-crafted.txt'));

    // Act
    const { differing } = await replayAtRandomCuts(text, 5);

    // Assess
    expect(differing).toEqual([]);
  });

  it('tells ngrep and tcpdump output converted to CRLF, and leaves their LF output and other logs as they are', () => {
    // Prepare / Act / Assess
    expect(isConvertedToCrlf(toCrlf(readFixture('text/ngrep-W-byline-noquiet-crafted.txt')))).toBe(true);
    expect(isConvertedToCrlf(toCrlf(readFixture('text/tcpdump-A-crafted.txt')))).toBe(true);
    expect(isConvertedToCrlf(readFixture('text/ngrep-W-byline-noquiet-crafted.txt'))).toBe(false);
    expect(isConvertedToCrlf(readFixture('text/tcpdump-A-crafted.txt'))).toBe(false);
    // logs whose CRLFs are the messages' own (SIPp and sipdump print them as sent)
    expect(isConvertedToCrlf(readFileSync(`${CORPUS_DIR}sipp-uac-invite.messages.log`))).toBe(false);
    expect(isConvertedToCrlf(readFileSync(`${CORPUS_DIR}mixed.kamailio-sipdump.data`))).toBe(false);
  });
});
