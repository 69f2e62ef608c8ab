import { describe, expect, it } from 'vitest';
import { scan } from '../../../../lambda/engine/index.js';
import { type PeerMap, parsePeerMap } from '../../../../lambda/engine/peers.js';
import type { ScanResult } from '../../../../lambda/engine/tally.js';
import { chunked, readFixture, replayAtRandomCuts, scanText, scanWhole } from '../../../support/collect.js';
import { response } from '../../../support/sip-samples.js';

/**
 * baresip 1.0.0's SIP trace (`baresip -s`): a real run (test/fixtures/baresip/make-baresip-log.sh) of calls from
 * baresip to four SIPp UASs over UDP and TCP (one answers 503, one never answers the BYE, which baresip resends) and
 * from a SIPp UAC that ACKs late, so baresip resends its 200. tshark counted the capture of the same run.
 */
interface Truth {
  readonly responses: number;
  readonly requests: number;
  readonly byCode: Record<string, number>;
  readonly byMethod: Record<string, Record<string, number>>;
  readonly byPeer: Record<string, number>;
  readonly retransmissions: { readonly requests: number; readonly responses: number };
}
const truth = JSON.parse(readFixture('baresip/baresip-calls.truth.json').toString('utf8')) as Truth;
const log = readFixture('baresip/baresip-calls.log');

/** The run's parties by address and port, so that each sender is its own peer (outside a map, a peer is its IP). */
const PARTIES: Record<string, string> = {
  '127.0.0.1:5070': 'baresip',
  '127.0.0.1:5090': 'uas',
  '127.0.0.1:5091': 'uas-503',
  '127.0.0.1:5092': 'uas-tcp',
  '127.0.0.1:5093': 'uas-bye-unanswered',
  '127.0.0.1:5094': 'uac-late-ack',
};
const peers = ((): PeerMap => {
  const map = parsePeerMap(Object.fromEntries(Object.entries(PARTIES).map(([address, name]) => [name, [address]])));
  if ('problems' in map) throw new Error(map.problems.join('; '));
  return map;
})();

const responsesByPeer = (r: ScanResult): Record<string, number> =>
  Object.fromEntries(Object.entries(r.byPeer).map(([peer, c]) => [peer, c.responses]));

/** An entry as baresip's trace handler prints it: the cyan `#` line, transport and ends, the bytes, the reset. */
const entry = (transport: string, src: string, dst: string, sip: string): string =>
  `\x1b[36;1m#\n${transport} ${src} -> ${dst}\n${sip}\x1b[;m\n`;

describe('baresip SIP trace', () => {
  it('counts every response of a real run as tshark counts its capture, by code, method, sender and resend', async () => {
    // Act
    const r = await scan(chunked(log, []), { peers });

    // Assess
    expect(r.formats).toEqual(['baresip']);
    expect([r.responses, r.requests]).toEqual([truth.responses, truth.requests]);
    expect(r.byCode).toEqual(truth.byCode);
    expect(r.byMethod).toEqual(truth.byMethod);
    expect(r.retransmissions).toEqual(truth.retransmissions);
    expect(responsesByPeer(r)).toEqual(
      Object.fromEntries(Object.entries(truth.byPeer).map(([address, n]) => [PARTIES[address], n])),
    );
    expect(r.anomalies).toEqual({});
    // baresip prints no time
    expect(r.timedResponses).toBe(0);
  });

  it('gives the same peers and KPI counts as the capture of the same run', async () => {
    // Act
    const fromLog = await scan(chunked(log, []), { peers });
    const fromCapture = await scan(chunked(readFixture('baresip/baresip-calls.pcapng'), []), { peers });

    // Assess: the capture's counts equal tshark's (the truth), and the log's equal the capture's
    expect(fromCapture.responses).toBe(truth.responses);
    expect(responsesByPeer(fromLog)).toEqual(responsesByPeer(fromCapture));
    expect(fromLog.byPeer).toEqual(fromCapture.byPeer);
    // the same transactions and outcomes; the log has no times, so no delays and no minutes
    const { srd, sdd, rrd, series, delaySeries, byPeer, ...counts } = fromCapture.kpis;
    expect(fromLog.kpis).toMatchObject(counts);
    expect(fromCapture.kpis.srd.count).toBeGreaterThan(0);
    expect(fromLog.kpis.srd.count).toBe(0);
  });

  it('gives the same result however the trace is chunked', async () => {
    // Act
    const { whole, differing } = await replayAtRandomCuts(log, 6);

    // Assess
    expect(whole.responses).toBe(truth.responses);
    expect(differing).toEqual([]);
  });

  it('reads a trace whose colours were taken out the same way (the `#` line is no ngrep separator)', async () => {
    // Prepare: sed 's/\x1b\[[0-9;]*m//g'
    const colour = new RegExp(`${String.fromCharCode(0x1b)}\\[[0-9;]*m`, 'g');
    const plain = Buffer.from(log.toString('latin1').replace(colour, ''), 'latin1');

    // Act
    const [r, before] = await Promise.all([scan(chunked(plain, []), { peers }), scan(chunked(log, []), { peers })]);

    // Assess
    expect(r.formats).toEqual(['baresip']);
    expect([r.responses, r.requests, r.byCode, r.retransmissions]).toEqual([
      before.responses,
      before.requests,
      before.byCode,
      before.retransmissions,
    ]);
    expect(r.byPeer).toEqual(before.byPeer);
  });

  it('frames by Content-Length: a status line in a body, or a message past the datagram`s first, is not a response', async () => {
    // Prepare: a MESSAGE quoting a status line in its body; a UDP datagram holding a whole second message past its
    // first one's Content-Length (tshark dissects a datagram once)
    const quoted = 'he said:\r\nSIP/2.0 486 Busy Here\r\n';
    const message =
      'MESSAGE sip:bob@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-q1\r\n' +
      'Call-ID: q1@example.com\r\nCSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\n' +
      `Content-Length: ${quoted.length}\r\n\r\n${quoted}`;
    const two = response(200, 'OK', '1 MESSAGE', 'q1@example.com') + response(503, 'Service Unavailable', '2 MESSAGE');
    const text =
      entry('UDP', '192.0.2.1:5060', '192.0.2.2:5060', message) +
      'call: some console line\n' +
      entry('UDP', '192.0.2.2:5060', '192.0.2.1:5060', two);

    // Act
    const r = await scanText(text);

    // Assess
    expect([r.requests, r.responses, r.byCode]).toEqual([1, 1, { '200': 1 }]);
    expect(responsesByPeer(r)).toEqual({ '192.0.2.2': 1 });
  });

  it('reads on after a trace: SIP appended to it counts, with or without the colours', async () => {
    // Prepare: a UDP entry, a console line, then two bare messages of another log (cat trace.log other.log)
    const trace = `${entry('UDP', '192.0.2.2:5060', '192.0.2.1:5060', response(200, 'OK'))}ua: stop\n`;
    const other = response(404, 'Not Found', '2 INVITE', 'x@b') + response(486, 'Busy Here', '3 INVITE', 'y@b');
    const plain = trace.replaceAll('\x1b[36;1m', '').replaceAll('\x1b[;m', '');

    // Act
    const [coloured, stripped] = await Promise.all([scanText(trace + other), scanText(plain + other)]);

    // Assess
    for (const r of [coloured, stripped])
      expect([r.responses, r.byCode]).toEqual([3, { '200': 1, '404': 1, '486': 1 }]);
  });

  it('takes no line for an entry whose addresses carry no port', async () => {
    // Prepare: lines that look like a header but name no address baresip prints (it always prints the port)
    const text = `TLS 1.2 -> 1.3\n${response(200, 'OK')}WS add -> face\n${response(180, 'Ringing')}`;

    // Act
    const r = await scanText(text);

    // Assess
    expect(r.formats).toEqual(['sip']);
    expect([r.responses, Object.keys(r.byPeer)]).toEqual([2, ['unknown']]);
  });

  it('names IPv6 senders and judges resends over UDP only, as tshark does', async () => {
    // Prepare: the same 200 twice over TCP, then twice over UDP
    const ok = response(200, 'OK');
    const text =
      entry('TCP', '[2001:db8::2]:5060', '[2001:db8::1]:40123', ok) +
      entry('TCP', '[2001:db8::2]:5060', '[2001:db8::1]:40123', ok) +
      entry('UDP', '[2001:db8::3]:5060', '[2001:db8::1]:5060', ok) +
      entry('UDP', '[2001:db8::3]:5060', '[2001:db8::1]:5060', ok);

    // Act
    const r = await scanWhole(Buffer.from(text, 'latin1'));

    // Assess
    expect(r.formats).toEqual(['baresip']);
    expect(r.responses).toBe(4);
    expect(r.retransmissions.responses).toBe(1);
    expect(responsesByPeer(r)).toEqual({ '2001:db8::2': 2, '2001:db8::3': 2 });
  });
});
