import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { scan } from '../../../../lambda/engine/index.js';
import type { ScanResult } from '../../../../lambda/engine/tally.js';
import { chunked, readFixture, replayAtRandomCuts, scanText, scanWhole } from '../../../support/collect.js';
import { response } from '../../../support/sip-samples.js';

/** Responses of a minute: the sum of its classes. */
const total = (m: ScanResult['series'][number]): number => Object.values(m.byClass).reduce((a, b) => a + b, 0);

/**
 * sngrep 1.6.0 (Debian) opened the capture `sngrep-mixedcut.tshark.json` describes (`sngrep -I X.pcap`) and saved
 * every dialog with Save (F2), format `.txt`: test/fixtures/text/README.md says how. tshark counted that capture.
 */
interface Truth {
  readonly responses: number;
  readonly byCode: Record<string, number>;
  readonly byMethod: Record<string, Record<string, number>>;
  readonly byMinute: Record<string, number>;
  readonly byPeer: Record<string, number>;
  readonly resends: number;
}
const truth = JSON.parse(readFixture('text/sngrep-mixedcut.tshark.json').toString('utf8')) as Truth;
const saved = gunzipSync(readFixture('text/sngrep-mixedcut.txt.gz'));

/** One block as sngrep's save_msg_txt prints it: date, time, source -> destination, the message, a blank line. */
const block = (time: string, src: string, dst: string, sip: string): string => `${time} ${src} -> ${dst}\n${sip}\n\n`;

describe('sngrep text export', () => {
  it('counts every response of the saved dialogs as tshark counts the capture, by code, method, minute and peer', async () => {
    // Act: the gzip as a user drops it, whole
    const r = await scanWhole(readFixture('text/sngrep-mixedcut.txt.gz'));

    // Assess
    expect(r.formats).toEqual(['gzip', 'sngrep']);
    expect(r.responses).toBe(truth.responses);
    expect(r.byCode).toEqual(truth.byCode);
    expect(r.byMethod).toEqual(truth.byMethod);
    // sngrep prints local time; the capture was made and saved on a machine in UTC (the scan's default zone)
    expect(r.timedResponses).toBe(truth.responses);
    expect(Object.fromEntries(r.series.map((m) => [m.minute, total(m)]))).toEqual(truth.byMinute);
    expect(Object.fromEntries(Object.entries(r.byPeer).map(([peer, c]) => [peer, c.responses]))).toEqual(truth.byPeer);
    expect(r.retransmissions.responses).toBe(truth.resends);
    expect(r.unrecognizedBytes).toBe(0);
    expect(r.anomalies).toEqual({});
  });

  it('gives the same result however the saved text is chunked', async () => {
    // Act
    const { whole, differing } = await replayAtRandomCuts(saved, 6);

    // Assess
    expect(whole.responses).toBe(truth.responses);
    expect(differing).toEqual([]);
  });

  it('places the printed local time in the zone it is given', async () => {
    // Prepare
    const text = block(
      '2026/07/01 09:15:02.250000',
      '[2001:db8::1]:5060',
      '192.0.2.7:5080',
      response(503, 'Service Unavailable'),
    );

    // Act
    const r = await scan(chunked(Buffer.from(text, 'latin1'), []), { timeZone: 'Europe/Madrid' });

    // Assess: 09:15 in Madrid in July is 07:15 UTC; the sender is the IPv6 peer sngrep printed in brackets
    expect(r.series.map((m) => [m.minute, total(m)])).toEqual([['2026-07-01T07:15:00.000Z', 1]]);
    expect(Object.keys(r.byPeer)).toEqual(['2001:db8::1']);
  });

  it('frames by Content-Length: a status line inside a body is not a response', async () => {
    // Prepare: a MESSAGE whose text quotes a status line
    const quoted = 'he said:\r\nSIP/2.0 486 Busy Here\r\n';
    const message =
      'MESSAGE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-q1\r\n' +
      'Call-ID: q1@example.com\r\nCSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\n' +
      `Content-Length: ${quoted.length}\r\n\r\n${quoted}`;
    const text =
      block('2026/07/01 09:15:03.000000', '10.0.0.1:5060', '10.0.0.2:5060', message) +
      block('2026/07/01 09:15:03.010000', '10.0.0.2:5060', '10.0.0.1:5060', response(200, 'OK', '1 MESSAGE'));

    // Act
    const r = await scanText(text);

    // Assess
    expect(r.formats).toEqual(['sngrep']);
    expect(r.byCode).toEqual({ '200': 1 });
    expect(r.requests).toBe(1);
  });
});
