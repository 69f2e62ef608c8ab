import { describe, expect, it } from 'vitest';
import { undot } from '../../../../lambda/engine/formats/ngrep.js';
import type { ScanResult } from '../../../../lambda/engine/tally.js';
import { NO_CLASSES, readFixture, replayAtRandomCuts, scanText, scanWhole } from '../../../support/collect.js';

/**
 * ngrep's dump modes other than byline (`-W normal`, its default; `-W single`; `-W none`) print every
 * non-printable byte as '.', CR and LF included; `-x` prints the bytes in hex beside them; without `-q` a line of
 * '#' (one per packet seen) comes between packets and "exit" ends the output. The fixtures are real ngrep 1.47 output of the two
 * captures the tcpdump -A tests use (test/fixtures/text/README.md); each must read as the capture
 * itself reads, which test/unit/engine/formats/tcpdump-ascii.test.ts and the pcap tests hold to tshark.
 */

/**
 * What a scan counts, bar the input's size, its format names and what depends on time (ngrep prints times only
 * with -t; the capture always has them): the KPIs' counts without their delays and series.
 */
const counted = (r: ScanResult): Record<string, unknown> => {
  const { bytes: _b, formats: _f, unrecognizedBytes: _u, timedResponses: _t, series: _s, kpis, ...rest } = r;
  const { srd: _srd, sdd: _sdd, rrd: _rrd, series: _ks, delaySeries: _d, byPeer, ...kpiCounts } = kpis;
  const peerCounts = Object.fromEntries(
    Object.entries(byPeer).map(([peer, p]) => {
      const { srd: _ps, sdd: _pd, rrd: _pr, series: _pse, ...counts } = p;
      return [peer, counts];
    }),
  );
  return { ...rest, kpis: { ...kpiCounts, byPeer: peerCounts } };
};

describe('ngrep -W normal, single and none, -x, and without -q', () => {
  it.each([
    ['ngrep-W-normal-crafted.txt', 'tcpdump-crafted.pcap'],
    ['ngrep-W-none-crafted.txt', 'tcpdump-crafted.pcap'],
    ['ngrep-W-normal-t-loopback.txt', 'tcpdump-loopback.pcap'],
    ['ngrep-x-crafted.txt', 'tcpdump-crafted.pcap'],
    ['ngrep-W-byline-noquiet-crafted.txt', 'tcpdump-crafted.pcap'],
  ])('reads %s as the capture it was printed from (%s)', async (text, capture) => {
    // Prepare
    const dotted = readFixture(`text/${text}`);
    const pcap = readFixture(`text/${capture}`);

    // Act
    const fromText = await scanWhole(dotted);
    const fromPcap = await scanWhole(pcap);

    // Assess: the same counts, per peer, KPIs and all; nothing unread but ngrep's own preamble lines
    expect(fromText.formats).toEqual(['ngrep']);
    expect(counted(fromText)).toEqual(counted(fromPcap));
    expect(fromText.anomalies).toEqual({});
  });

  it('counts what tshark counts in the crafted capture, a TCP message cut between its CR and LF included', async () => {
    // Prepare: tshark -r tcpdump-crafted.pcap -Y sip -T fields -e sip.Status-Code -e sip.CSeq.method
    const dotted = readFixture('text/ngrep-W-single-t-crafted.txt');

    // Act
    const r = await scanWhole(dotted);

    // Assess: -t times every packet (local time, read as UTC here)
    expect(r.responses).toBe(10);
    expect(r.requests).toBe(7);
    expect(r.byCode).toEqual({ '100': 1, '180': 3, '200': 6 });
    expect(r.byMethod).toEqual({
      INVITE: { '100': 1, '180': 3, '200': 1 },
      MESSAGE: { '200': 1 },
      NOTIFY: { '200': 2 },
      OPTIONS: { '200': 2 },
    });
    expect(r.byClass).toEqual({ ...NO_CLASSES, '1xx': 4, '2xx': 6 });
    expect(r.timedResponses).toBe(10);
    expect(r.anomalies).toEqual({});
  });

  it.each(['ngrep-W-normal-crafted.txt', 'ngrep-W-single-t-crafted.txt', 'ngrep-W-none-crafted.txt'])(
    'gives the same result for %s however it is chunked',
    async (text) => {
      // Prepare
      const dotted = readFixture(`text/${text}`);

      // Act
      const { whole, differing } = await replayAtRandomCuts(dotted, 6);

      // Assess
      expect(whole.responses).toBe(10);
      expect(differing).toEqual([]);
    },
  );

  it('reads a header line cut between CR and LF across two TCP segments as one CRLF', async () => {
    // Prepare: -W none layout (ngrep.c dump_unwrapped); the NOTIFY's Content-Type line ends the first segment with its CR,
    // the second opens with the LF. Read as two literal dots, Content-Length would be lost and the sipfrag body's
    // status line taken for a response.
    const header = (n: number, from: string, to: string): string => `T ${from} -> ${to} [AP] #${n}\n`;
    const a = '192.0.2.1:5060';
    const b = '192.0.2.2:5060';
    const notify =
      'NOTIFY sip:b@example.com SIP/2.0..Via: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK1..From: <sip:a@example.com>;tag=1..' +
      'To: <sip:b@example.com>;tag=2..Call-ID: c1@example.com..CSeq: 2 NOTIFY..Event: refer..Content-Type: message/sipfrag.';
    const rest = '.Content-Length: 33....SIP/2.0 503 Service Unavailable..';
    const ok =
      'SIP/2.0 200 OK..Via: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK1..From: <sip:a@example.com>;tag=1..' +
      'To: <sip:b@example.com>;tag=2..Call-ID: c1@example.com..CSeq: 2 NOTIFY..Content-Length: 0....';
    const text = `${header(1, a, b)}${notify}\n\n${header(2, a, b)}${rest}\n\n${header(3, b, a)}${ok}\n\n`;

    // Act
    const r = await scanText(text);

    // Assess
    expect(r.requests).toBe(1);
    expect(r.responses).toBe(1);
    expect(r.byMethod).toEqual({ NOTIFY: { '200': 1 } });
    expect(r.anomalies).toEqual({});
  });
});

describe('undot', () => {
  it.each([
    ['a.b', 'a.b'],
    ['x..y', 'x\r\ny'],
    ['1.0...Via', '1.0.\r\nVia'],
    ['Length: 0....', 'Length: 0\r\n\r\n'],
    ['end.....body', 'end.\r\n\r\nbody'],
    ['.', '.'],
    ['', ''],
  ])('turns %j into %j, one byte for one', (dotted, bytes) => {
    // Prepare
    const src = Buffer.from(`<${dotted}>`, 'latin1');
    const into = Buffer.alloc(dotted.length);

    // Act
    const n = undot(src, 1, 1 + dotted.length, into);

    // Assess
    expect(n).toBe(dotted.length);
    expect(into.toString('latin1', 0, n)).toBe(bytes);
  });
});
