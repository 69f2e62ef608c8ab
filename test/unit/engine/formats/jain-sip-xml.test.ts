import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { ScanResult } from '../../../../lambda/engine/tally.js';
import { replayCutInTwo, scanText } from '../../../support/collect.js';
import { invite, response } from '../../../support/sip-samples.js';

/** One message as gov.nist.javax.sip.stack.MessageLog writes it: one attribute per line, then the CDATA block. */
const jainMessage = (from: string, to: string, timeMs: number, isSender: boolean, sip: string): string => {
  const firstLine = sip.slice(0, sip.indexOf('\r\n'));
  return (
    `<message\nfrom="${from}" \nto="${to}" \ntime="${timeMs}"\nisSender="${isSender}" \n` +
    `transactionId="z9hg4bk776asdhds" \ncallId="3848276298220188511@atlanta.example.com" \n` +
    `firstLine="${firstLine}" \n>\n<![CDATA[${sip}]]>\n</message>\n\n`
  );
};

const UA = '192.0.2.10:5060';
const PROXY = '192.0.2.20:5060';
const T0 = 1_795_527_600_000;

const log =
  '<messages>\n' +
  jainMessage(UA, PROXY, T0, true, invite()) +
  jainMessage(PROXY, UA, T0 + 20, false, response(100, 'Trying')) +
  jainMessage(PROXY, UA, T0 + 900, false, response(486, 'Busy Here')) +
  // the same final response again: a retransmission
  jainMessage(PROXY, UA, T0 + 1400, false, response(486, 'Busy Here')) +
  jainMessage(PROXY, UA, T0 + 61_000, false, response(200, 'OK', '2 OPTIONS', 'opt-1@example.com')) +
  '</messages>\n';

const summary = (r: ScanResult): unknown => ({
  formats: r.formats,
  requests: r.requests,
  byCode: r.byCode,
  retransmissions: r.retransmissions,
  anomalies: r.anomalies,
});

const EXPECTED = {
  formats: ['jain-sip-xml'],
  requests: 1,
  byCode: { '100': 1, '200': 1, '486': 2 },
  retransmissions: { requests: 0, responses: 1 },
  anomalies: {},
};

describe('NIST JAIN-SIP XML message log', () => {
  it('counts one message per CDATA block, at the time attribute', async () => {
    // Prepare: the log above

    // Act
    const r = await scanText(log);

    // Assess
    expect(summary(r)).toEqual(EXPECTED);
    expect(r.series.map((s) => [s.minute, s.byCode])).toEqual([
      ['2026-11-24T13:40:00.000Z', { '100': 1, '486': 2 }],
      ['2026-11-24T13:41:00.000Z', { '200': 1 }],
    ]);
  });

  it('gives the same counts at every cut and gzipped', async () => {
    // Prepare
    const bytes = Buffer.from(log, 'latin1');

    // Act
    const { whole, differing } = await replayCutInTwo(bytes, { view: summary });
    const zipped = await replayCutInTwo(gzipSync(bytes), { step: 7, view: summary });

    // Assess
    expect([summary(whole), differing]).toEqual([EXPECTED, []]);
    expect([summary(zipped.whole), zipped.differing]).toEqual([{ ...EXPECTED, formats: ['gzip', 'jain-sip-xml'] }, []]);
  });
});

describe('jain-sip-xml <message lines without the CDATA block', () => {
  // A search to the buffer's end per `<message` line (buf.indexOf) took 282 s on the first input here and 7.5 s
  // on the second; the bounded search that remembers what it read takes about 0.3 s for either.
  const bounded = async (filler: string): Promise<{ summary: unknown; ms: number }> => {
    const input = `<messages>\n${jainMessage(PROXY, UA, T0, false, response(486, 'Busy Here'))}${filler}${jainMessage(PROXY, UA, T0 + 5, false, response(603, 'Decline', '2 INVITE', 'other@example.com'))}</messages>\n`;
    const started = performance.now();
    const r = await scanText(input);
    return { summary: [r.formats, r.byCode, r.unrecognizedBytes], ms: performance.now() - started };
  };

  it('are rejected in linear time when no CDATA opens after them', async () => {
    // Prepare: 6 MB of open tags that no CDATA follows
    const filler = '<message from="a" to="b" time="1"\n'.repeat(180_000);
    // Act
    const { summary, ms } = await bounded(filler);
    // Assess: the open tags within 8 KiB of the last message's CDATA take it (the tag may span lines), so
    // the last message still counts and the filler is unrecognised but for those tags (the same figures as the
    // unbounded search gave, checked on smaller fillers)
    expect(filler.length).toBe(6_120_000);
    expect(summary).toEqual([['jain-sip-xml'], { '486': 1, '603': 1 }, 6_112_089]);
    expect(ms).toBeLessThan(3000);
  });

  it('are rejected in linear time when their CDATA never closes', async () => {
    // Prepare: 6 MB of open tags and CDATA opens with no "]]>" anywhere after them but the last message's
    const filler = '<message from="a" to="b" time="1">\n<![CDATA[x\n'.repeat(130_000);
    // Act
    const { summary, ms } = await bounded(filler);
    // Assess: the last CDATA of the filler closes at the last message's "]]>", so that message lies inside a
    // payload that is not SIP (the same verdict as the unbounded search gave, checked on smaller fillers)
    expect(filler.length).toBe(5_980_000);
    expect(summary).toEqual([['jain-sip-xml'], { '486': 1 }, 5_980_506]);
    expect(ms).toBeLessThan(3000);
  });
});
