import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { undotLfOnly } from '../../../../lambda/engine/formats/dotted-lf-only.js';
import { undot } from '../../../../lambda/engine/formats/ngrep.js';
import type { ScanResult } from '../../../../lambda/engine/tally.js';
import { NO_CLASSES, readFixture, replayAtRandomCuts, scanText, scanWhole } from '../../../support/collect.js';
import { CORPUS_DIR } from '../../../support/corpus.js';

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

/**
 * SIP with LF-only line ends (sipsak -L: NOTIFYs with a message/sipfrag body "SIP/2.0 503 Service Unavailable", a 603
 * to an INVITE and a 480 to a MESSAGE whose text body quotes "SIP/2.0 200 OK", each sent three times and resent by
 * sipsak) in a real capture and ngrep 1.47's dotted modes of it (test/fixtures/text/README.md). tshark on the capture:
 * 12 NOTIFY, 9 × 603 to INVITE, 9 × 480 to MESSAGE; 9 resent requests, 12 resent responses.
 */
describe('ngrep dotted modes of LF-only SIP', () => {
  it.each(['ngrep-W-normal-lf-only.txt', 'ngrep-W-single-lf-only.txt', 'ngrep-W-none-lf-only.txt'])(
    'reads %s as tshark reads the capture, and no status line of a body as a response',
    async (name) => {
      // Prepare
      const text = readFixture(`text/${name}`);
      const capture = readFixture('text/lf-only-sipsak.pcap');

      // Act
      const r = await scanWhole(text);
      const fromCapture = await scanWhole(capture);

      // Assess: before, the sipfrag's 503 counted 12 times and every CSeq read as missing
      expect(r.formats).toEqual(['ngrep']);
      expect(r.byMethod).toEqual({ INVITE: { '603': 9 }, MESSAGE: { '480': 9 } });
      expect(r.requestsByMethod).toEqual({ NOTIFY: 12 });
      expect(r.retransmissions).toEqual({ requests: 9, responses: 12 });
      for (const k of ['responses', 'byClass', 'byCode', 'byMethod', 'requestsByMethod', 'retransmissions'] as const) {
        expect({ [k]: r[k] }).toEqual({ [k]: fromCapture[k] });
      }
      expect(r.kpis.inviteTransactions).toBe(1);
      expect(r.kpis.effective).toBe(fromCapture.kpis.effective);
      // the MESSAGE declares 22 body bytes and carries 21 (sipsak sent it so): the text says so, a datagram does not
      expect(r.anomalies).toEqual({ 'truncated-body': 9 });
    },
  );

  it('gives the same result however the normal-mode text is chunked', async () => {
    // Prepare
    const text = readFixture('text/ngrep-W-normal-lf-only.txt');

    // Act
    const { whole, differing } = await replayAtRandomCuts(text, 5);

    // Assess
    expect(whole.responses).toBe(18);
    expect(differing).toEqual([]);
  });
});

describe('undotLfOnly', () => {
  it.each([
    // a line end before each header name, a dot inside an address, the section's end, the body byte for byte
    [
      'NOTIFY sip:a@10.0.0.1 SIP/2.0.v: SIP/2.0/UDP 10.0.0.2.i: c1@10.0.0.2.l: 5..a.b.c',
      'NOTIFY sip:a@10.0.0.1 SIP/2.0\nv: SIP/2.0/UDP 10.0.0.2\ni: c1@10.0.0.2\nl: 5\n\na.b.c',
    ],
    // a status line, a value that ends in a dot (not the first header's: that one reads as a CRLF), long and x- names
    [
      'SIP/2.0 486 Busy Here.CSeq: 1 INVITE.Call-ID: x..X-Note: n.Content-Length: 0..',
      'SIP/2.0 486 Busy Here\nCSeq: 1 INVITE\nCall-ID: x.\nX-Note: n\nContent-Length: 0\n\n',
    ],
    // a URI word that is a header name ("to") before the start line's end does not end the start line
    [
      'INVITE sip:b@example.to:5060 SIP/2.0.t: <sip:b@example.to>.l: 0..',
      'INVITE sip:b@example.to:5060 SIP/2.0\nt: <sip:b@example.to>\nl: 0\n\n',
    ],
    // a body quoting a status line stays one dotted line
    ['SIP/2.0 200 OK.l: 14..SIP/2.0 503 x.', 'SIP/2.0 200 OK\nl: 14\n\nSIP/2.0 503 x.'],
  ])('reads %j as LF-only, one byte for one', (dotted, bytes) => {
    // Prepare
    const src = Buffer.from(`<${dotted}>`, 'latin1');
    const into = Buffer.alloc(dotted.length);

    // Act
    const n = undotLfOnly(src, 1, 1 + dotted.length, into);

    // Assess
    expect(n).toBe(dotted.length);
    expect(into.toString('latin1', 0, n)).toBe(bytes);
  });

  it.each([
    ['INVITE sip:b@10.0.0.1 SIP/2.0..Via: SIP/2.0/UDP 10.0.0.2..l: 0....'],
    ['SIP/2.0 200 OK..v: SIP/2.0/UDP 10.0.0.2....'],
    ['not SIP at all. t: nothing'],
    // reason phrases with a dot before a word that is a header name ("c", "to"): the next line end says CRLF
    ['SIP/2.0 500 Server Error (proxy.c:412)..Via: SIP/2.0/UDP 10.0.0.2..l: 0....'],
    ['SIP/2.0 302 Moved to sip:a@example.to:5060..v: SIP/2.0/UDP 10.0.0.2..l: 0....'],
    ['v: SIP/2.0/UDP 10.0.0.2.l: 0..'],
  ])('leaves %j to undot (CRLF, or no start line first)', (dotted) => {
    // Prepare
    const src = Buffer.from(dotted, 'latin1');

    // Act
    const n = undotLfOnly(src, 0, src.length, Buffer.alloc(src.length));

    // Assess
    expect(n).toBe(-1);
  });
});

describe('ngrep -W byline in a file shared with other writers', () => {
  /** The corpus's ngrep log (real ngrep 1.47 output of mixed.pcap, UDP and TCP). */
  const ngrep = (): Buffer => readFileSync(`${CORPUS_DIR}mixed.ngrep.txt`);

  it('counts a log written after the ngrep output (cat) as the two logs apart', async () => {
    // Prepare: before, the last packet's block ran on over the Kamailio log (1 + 0 of its 491 acc responses)
    const kamailio = readFileSync(`${CORPUS_DIR}mixed.kamailio-proxy.log`);
    const [a, b] = [await scanWhole(ngrep()), await scanWhole(kamailio)];

    // Act
    const joined = await scanWhole(Buffer.concat([ngrep(), kamailio]));

    // Assess
    expect(joined.formats).toEqual(['ngrep', 'acc']);
    expect(joined.responses).toBe(a.responses + b.responses);
    expect(joined.responses).toBe(1834 + 491);
  });

  it("counts the packets as without when another program's line comes between them", async () => {
    // Prepare: a line of a script writing to the same file after every 7th packet's blank lines (before: the TCP
    // segments ran together, 1 of 3 responses in the reproducer, `stream-garbage`)
    const text = ngrep().toString('latin1');
    let n = 0;
    const shared = Buffer.from(
      text.replace(/\n\n(?=[UT] \S+ -> )/g, (sep) =>
        n++ % 7 === 6 ? `${sep}2026-12-07T00:00:01Z app[42]: heartbeat ok\n` : sep,
      ),
      'latin1',
    );
    const plain = await scanWhole(ngrep());

    // Act
    const got = await scanWhole(shared);

    // Assess
    expect(n).toBeGreaterThan(1000);
    expect(got.anomalies).toEqual(plain.anomalies);
    expect(counted(got)).toEqual(counted(plain));
    expect((await replayAtRandomCuts(shared.subarray(0, 200_000), 4)).differing).toEqual([]);
  });

  it('keeps a bare-LF blank line inside a CRLF message body as body (its messages do not end there)', async () => {
    // Prepare: a MESSAGE answered 200 whose text body has an LF-only blank line, then the next packet
    const body = 'line one\n\nline three\r\n';
    const packet = (kind: string, start: string, cl: number, extra = ''): string =>
      `\n${kind} 10.0.0.1:5060 -> 10.0.0.2:5060\n${start}.\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1.\nCall-ID: a@b.\nCSeq: 1 MESSAGE.\nContent-Length: ${cl}.\n.\n${extra}\n`;
    const log = Buffer.from(
      `${packet('U', 'MESSAGE sip:b@h SIP/2.0', Buffer.byteLength(body), body.replace('\r', '.'))}${packet('U', 'SIP/2.0 200 OK', 0)}`,
      'latin1',
    );

    // Act
    const got = await scanWhole(log);

    // Assess
    expect([got.requests, got.responses, got.anomalies]).toEqual([1, 1, {}]);
  });

  it("counts a UDP datagram's first message only when its bytes past Content-Length open with a bare LF", async () => {
    // Prepare: a 180 whose body, past Content-Length 0, is a LF and a quoted 486 (the review's case: the packet was
    // cut at that blank line and the 486 read as bare SIP)
    const packet = (n: number, lines: string): string => `U 10.0.0.2:5060 -> 10.0.0.1:5060 #${n}\n${lines}\n\n`;
    const sip = (start: string): string =>
      `${start}.\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-1.\nCall-ID: c1@x.\nCSeq: 1 INVITE.\nContent-Length: 0.\n.\n`;
    const log = `interface: eth0\nfilter: port 5060\n\n${packet(1, `${sip('SIP/2.0 180 Ringing')}\nSIP/2.0 486 Busy Here.\nCSeq: 1 INVITE.\nContent-Length: 0.\n.`)}${packet(2, sip('SIP/2.0 200 OK'))}`;

    // Act
    const got = await scanText(log);

    // Assess
    expect([got.formats, got.byCode]).toEqual([['ngrep'], { '180': 1, '200': 1 }]);
  });

  it('reads a packet whose body is blank line after blank line in linear time', async () => {
    // Prepare: one TCP segment with 70 KB of headers and a 400 KB body of "x" and blank lines (the review's case:
    // each blank line parsed the headers again, 20 s)
    const headers = ['SIP/2.0 200 OK', 'Via: SIP/2.0/TCP a;branch=z9hG4bK1', 'CSeq: 1 INVITE', 'Call-ID: x'];
    for (let i = 0; i < 2500; i++) headers.push(`X-Pad-${i}: ${'a'.repeat(16)}`);
    const body = 'x\n\n'.repeat(133_334);
    const log = `interface: eth0\nfilter: port 5060\n\nT 10.0.0.1:5060 -> 10.0.0.2:5060 [AP] #1\n${headers.join('\n')}\nContent-Length: ${body.length}\n\n${body}\n\nT 10.0.0.2:5060 -> 10.0.0.1:5060 [AP] #2\nSIP/2.0 486 Busy Here\nCSeq: 1 INVITE\nContent-Length: 0\n\n\n`;

    // Act
    const t0 = performance.now();
    const got = await scanText(log);
    const ms = performance.now() - t0;

    // Assess
    expect(got.byCode).toEqual({ '200': 1, '486': 1 });
    expect(ms).toBeLessThan(5000);
  });

  it("leaves ngrep's closing exit line to ngrep when the last packet ends at its blank lines", async () => {
    // Prepare
    const log = readFixture('text/ngrep-W-byline-noquiet-crafted.txt');

    // Act
    const got = await scanWhole(log);

    // Assess: the fixture's own unread bytes (its header lines), not its last line
    expect(log.toString('latin1').trimEnd().endsWith('exit')).toBe(true);
    expect(got.unrecognizedBytes).toBe(89);
  });
});
