import { describe, expect, it } from 'vitest';
import { type ScanOptions, scan } from '../../../../lambda/engine/index.js';
import type { ScanResult } from '../../../../lambda/engine/tally.js';
import { chunked, readFixture } from '../../../support/collect.js';
import { readTsharkReading, scanKpis, type TsharkReadingWithKpis, tsharkKpis } from '../../../support/tshark-counts.js';

/**
 * SIP quoted in ICMP errors (a response relayed to a UAC that had gone: port unreachable), in the text logs tcpdump and
 * ngrep print of the capture (test/fixtures/icmp/README.md). tshark counts each quoted message (never a resend), and
 * so does a capture's scan (pcap/icmp.ts); the texts print the quoted IP and UDP headers as text before it.
 */

const truth = (capture: string): TsharkReadingWithKpis =>
  readTsharkReading<TsharkReadingWithKpis>(`icmp/${capture}.tshark.json`);

const scanFixture = (name: string, opts: ScanOptions = {}, cuts: readonly number[] = []): Promise<ScanResult> =>
  scan(chunked(readFixture(`icmp/${name}`), cuts), opts);

const asTshark = (r: ScanResult) => {
  const { responses, requests, byCode, byMethod, retransmissions } = r;
  return { responses, requests, byCode, byMethod, retransmissions, kpis: scanKpis(r) };
};

const wanted = (t: TsharkReadingWithKpis) => {
  const { responses, requests, byCode, byMethod, retransmissions } = t;
  return { responses, requests, byCode, byMethod, retransmissions, kpis: tsharkKpis(t.kpis) };
};

const TEXTS = [
  'tcpdump-A.txt',
  'tcpdump-A-v.txt',
  'tcpdump-A-vv-e.txt',
  'tcpdump-A-tttt-berlin.txt',
  'tcpdump-X.txt',
  'ngrep-byline.txt',
  'ngrep-byline-t-berlin.txt',
  'ngrep-normal.txt',
  'ngrep-single.txt',
  // -N: "I(1) a -> b 3:3" (before: the type after the protocol number was not read, the quoted message lost)
  'ngrep-N-byline.txt',
  'ngrep-N-normal.txt',
];
const CASES = ['kamailio-icmp', 'icmpv6'].flatMap((capture) => TEXTS.map((text) => [capture, text] as const));

describe('SIP quoted in ICMP errors, in text logs', () => {
  it.each(CASES)('counts the quoted messages of %s.%s as tshark does', async (capture, text) => {
    // Prepare: before, tcpdump -A and ngrep lost every quoted message (kamailio-icmp: 4 of 26; icmpv6: 2 of 4)
    const want = wanted(truth(capture));

    // Act
    const got = await scanFixture(`${capture}.${text}`);

    // Assess
    expect(asTshark(got)).toEqual(want);
    expect(got.anomalies).toEqual({});
  });

  it.each(CASES)('reads %s.%s the same however it is chunked', async (capture, text) => {
    // Prepare
    const name = `${capture}.${text}`;
    const whole = await scanFixture(name);
    const size = readFixture(`icmp/${name}`).length;

    // Act: cuts inside the quoted headers and payloads of each packet, 97 bytes apart
    const cuts = Array.from({ length: Math.floor((size - 1) / 97) }, (_, i) => (i + 1) * 97);
    const cut = await scanFixture(name, {}, cuts);

    // Assess
    expect(asTshark(cut)).toEqual(asTshark(whole));
  });

  it('names the quoted message by its sender, the host the error went to, as a capture does', async () => {
    // Prepare: every quoted response of kamailio-icmp was sent by the proxy at 127.0.0.1 (tshark's ip.src of it)
    const capture = await scanFixture('kamailio-icmp.pcap');
    const v6 = await scanFixture('icmpv6.pcap');

    // Act
    const texts = await Promise.all(TEXTS.map((t) => scanFixture(`kamailio-icmp.${t}`)));
    const v6Texts = await Promise.all(TEXTS.map((t) => scanFixture(`icmpv6.${t}`)));

    // Assess
    for (const r of texts) expect(r.byPeer).toEqual(capture.byPeer);
    for (const r of v6Texts) expect(r.byPeer).toEqual(v6.byPeer);
    expect(Object.keys(v6.byPeer)).toEqual(['::1']);
  });
});

describe('times printed in text logs of captures placed by the file clock', () => {
  const berlin: ScanOptions = { timeZone: 'Europe/Berlin', referenceMs: Date.parse('2026-12-07T12:00:00Z') };
  const minutes = (r: ScanResult) => r.series.map((m) => [m.minute, m.byCode]);

  it.each([
    ['icmp/kamailio-icmp.tcpdump-X-tttt-berlin.txt', 'icmp/kamailio-icmp.pcap'],
    ['icmp/kamailio-icmp.tcpdump-A-tttt-berlin.txt', 'icmp/kamailio-icmp.pcap'],
    ['icmp/kamailio-icmp.ngrep-byline-t-berlin.txt', 'icmp/kamailio-icmp.pcap'],
    ['icmp/icmpv6.tcpdump-X-tttt-berlin.txt', 'icmp/icmpv6.pcap'],
    ['pcap/websocket.tcpdump-X-tttt-berlin.txt', 'pcap/websocket.pcap'],
  ])('puts each response of %s (Berlin local time) on the UTC minute of %s', async (name, pcap) => {
    // Prepare: before, a hex dump's UDP and WebSocket messages and every ICMP quote read Berlin's times as UTC (an
    // hour late) or had none
    const capture = await scan(chunked(readFixture(pcap), []));

    // Act
    const got = await scan(chunked(readFixture(name), []), berlin);

    // Assess
    expect(got.timedResponses).toBe(got.responses);
    expect(minutes(got)).toEqual(minutes(capture));
    // every delay timed (a text's times are read to the millisecond, a capture's finer: the values differ by less)
    expect(got.kpis.srd.count).toBe(capture.kpis.srd.count);
  });

  it.each(['kamailio-icmp.tcpdump-X.txt', 'icmpv6.tcpdump-X.txt'])(
    'places the times of day of %s with the reference time',
    async (name) => {
      // Prepare: before, none of a hex dump's UDP messages had a time (its counter had no reference instant)
      const capture = await scanFixture(`${name.split('.')[0]}.pcap`);
      // the captures were made at 01:01 and 01:21 UTC that day: the texts print UTC times of day
      const utc: ScanOptions = { referenceMs: Date.parse('2026-12-07T12:00:00Z') };

      // Act
      const got = await scanFixture(name, utc);

      // Assess
      expect(got.timedResponses).toBe(got.responses);
      expect(minutes(got)).toEqual(minutes(capture));
    },
  );
});
