import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { UnknownFormatError } from '../../../lambda/errors.js';
import { readFixture, replayAtRandomCuts, scanWhole } from '../../support/collect.js';

// Zero responses must never pass for a log that truly holds none when the file was not understood (README, Exit codes)

describe('text read as a log format from which no SIP message was read', () => {
  it('counts zero responses with a no-sip-message anomaly for tcpdump -A text of packets without SIP', async () => {
    // Prepare: the corpus capture's SYN packets printed by tcpdump; tshark finds no SIP in them (before: no anomaly)
    const text = readFixture('text/tcpdump-A-syn-only-mixed.txt');

    // Act
    const result = await scanWhole(text);
    const zipped = await scanWhole(gzipSync(text));

    // Assess
    expect([result.formats, result.responses, result.anomalies]).toEqual([
      ['tcpdump-ascii'],
      0,
      { 'no-sip-message': 1 },
    ]);
    expect(zipped.anomalies).toEqual({ 'no-sip-message': 1 });
  });

  it('gives the verdict once, however the text is chunked', async () => {
    // Prepare
    const text = readFixture('text/tcpdump-A-syn-only-mixed.txt');

    // Act
    const { differing } = await replayAtRandomCuts(text, 4);

    // Assess
    expect(differing).toEqual([]);
  });

  it('is UNKNOWN_FORMAT for a config file whose only log-format lines are incidental (# lines ngrep prints too)', async () => {
    // Prepare: Debian's kamailio.cfg; before, read as ngrep with exit 0, zero responses and no warning
    const cfg = readFixture('text/kamailio-cfg-not-a-log.cfg');

    // Act
    const error = await scanWhole(cfg).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(UnknownFormatError);
    expect((error as UnknownFormatError).code).toBe('UNKNOWN_FORMAT');
    expect((error as Error).message).toMatch(
      /^no SIP found in any known format \(a few lines read as ngrep; \d+ of its/,
    );
  });

  it('leaves a log with SIP in it without the anomaly', async () => {
    // Prepare / Act
    const result = await scanWhole(readFixture('text/tcpdump-A-crafted.txt'));

    // Assess
    expect(result.responses).toBeGreaterThan(0);
    expect(result.anomalies['no-sip-message']).toBeUndefined();
  });
});
