import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { scan } from '../../../../lambda/engine/index.js';
import {
  chunked,
  NO_CLASSES,
  readFixture,
  replayAtRandomCuts,
  replayCutInTwo,
  scanText,
  scanWhole,
} from '../../../support/collect.js';
import { withoutKpis } from '../../../support/without-kpis.js';

/** The packets of a `tcpdump -A` text (default timestamps), each from its summary line on. */
const packetsOf = (name: string): string[] =>
  readFixture(`text/${name}`)
    .toString('latin1')
    .split(/^(?=\d{2}:\d{2}:\d{2}\.\d{6} IP6? )/m);

/** tshark -r tcpdump-loopback.pcap -Y sip -T fields -e sip.Status-Code -e sip.CSeq.method -e sip.Method -e sip.resend */
const LOOPBACK_COUNTS = {
  byPeer: {
    '127.0.0.1': { responses: 15, byClass: { ...NO_CLASSES, '1xx': 4, '2xx': 11 }, byCode: { '180': 4, '200': 11 } },
  },
  formats: ['tcpdump-ascii'],
  messages: 30,
  requests: 15,
  responses: 15,
  accountedResponses: 0,
  byClass: { ...NO_CLASSES, '1xx': 4, '2xx': 11 },
  byCode: { '180': 4, '200': 11 },
  byMethod: { BYE: { '200': 4 }, INVITE: { '180': 4, '200': 4 }, NOTIFY: { '200': 2 }, OPTIONS: { '200': 1 } },
  requestsByMethod: { ACK: 4, BYE: 4, INVITE: 4, NOTIFY: 2, OPTIONS: 1 },
  retransmissions: { requests: 0, responses: 0 },
  retransmittedByClass: NO_CLASSES,
  anomalies: {},
  unrecognizedBytes: 0,
};

/** The crafted capture's packets, in order (see make-tcpdump-crafted-pcap.py). */
const CRAFTED = {
  options5060: 0,
  ok5060: 1,
  inviteIdCrLf: 2,
  keepAlive: 7,
  tcpSyn: 10,
  tcpFirstSegment: 13,
  tcpRetransmission: 14,
  tcpLast: 21,
} as const;

describe('tcpdump -A reader', () => {
  it('counts what tshark counts in a real loopback capture of SIPp and sipsak over UDP and TCP', async () => {
    // Prepare
    const data = readFixture('text/tcpdump-A-loopback.txt');

    // Act
    const r = await scanWhole(data);

    // Assess: default timestamps have no date, so nothing is timed
    expect(withoutKpis(r)).toEqual({ ...LOOPBACK_COUNTS, bytes: 20379, timedResponses: 0, series: [] });
  });

  it('times every response from the -tttt date', async () => {
    // Prepare
    const data = readFixture('text/tcpdump-A-tttt-loopback.txt');

    // Act
    const r = await scanWhole(data);

    // Assess
    expect(withoutKpis(r)).toEqual({
      ...LOOPBACK_COUNTS,
      bytes: 20962,
      timedResponses: 15,
      series: [
        {
          minute: '2026-11-24T20:22:00.000Z',
          byClass: LOOPBACK_COUNTS.byClass,
          byCode: LOOPBACK_COUNTS.byCode,
          byMethod: LOOPBACK_COUNTS.byMethod,
          retransmittedByClass: NO_CLASSES,
          byPeer: { '127.0.0.1': { ...NO_CLASSES, '1xx': 4, '2xx': 11 } },
        },
      ],
    });
  });

  it('counts what tshark counts in the crafted capture, and no status line inside a sipfrag or MESSAGE body', async () => {
    // Prepare
    const data = readFixture('text/tcpdump-A-crafted.txt');

    // Act
    const r = await scanWhole(data);

    // Assess (tshark: 100 INVITE; 180 INVITE x3; 200 INVITE, MESSAGE, NOTIFY x2, OPTIONS x2)
    expect(withoutKpis(r)).toEqual({
      formats: ['tcpdump-ascii'],
      bytes: 8978,
      messages: 17,
      requests: 7,
      responses: 10,
      accountedResponses: 0,
      byClass: { ...NO_CLASSES, '1xx': 4, '2xx': 6 },
      byCode: { '100': 1, '180': 3, '200': 6 },
      byMethod: {
        INVITE: { '100': 1, '180': 3, '200': 1 },
        MESSAGE: { '200': 1 },
        NOTIFY: { '200': 2 },
        OPTIONS: { '200': 2 },
      },
      requestsByMethod: { INVITE: 2, MESSAGE: 1, NOTIFY: 2, OPTIONS: 2 },
      retransmissions: { requests: 0, responses: 0 },
      retransmittedByClass: NO_CLASSES,
      anomalies: {},
      unrecognizedBytes: 0,
      timedResponses: 0,
      // per sender address, as tshark's ip.src / ipv6.src of each response's frame
      byPeer: {
        '192.0.2.101': { responses: 1, byClass: { ...NO_CLASSES, '2xx': 1 }, byCode: { '200': 1 } },
        '192.0.2.4': {
          responses: 8,
          byClass: { ...NO_CLASSES, '1xx': 4, '2xx': 4 },
          byCode: { '100': 1, '180': 3, '200': 4 },
        },
        '2001:db8::101': { responses: 1, byClass: { ...NO_CLASSES, '2xx': 1 }, byCode: { '200': 1 } },
      },
      series: [],
    });
  });

  it('counts the same from -vv output: two-line IPv4 summaries, checksum verdicts, tab-indented SIP lines', async () => {
    // Prepare
    const plain = readFixture('text/tcpdump-A-crafted.txt');
    const verbose = readFixture('text/tcpdump-A-vv-crafted.txt');

    // Act
    const fromPlain = await scanWhole(plain);
    const fromVerbose = await scanWhole(verbose);

    // Assess
    expect(verbose.toString('latin1')).toContain(
      '\n    192.0.2.101.5060 > 192.0.2.4.5060: [udp sum ok] SIP, length: 330\n\tOPTIONS ',
    );
    expect({ ...fromVerbose, bytes: 0 }).toEqual({ ...fromPlain, bytes: 0 });
    expect(fromVerbose.bytes).toBe(11683);
  });

  it.each([
    ['tcpdump-A-e-loopback.txt', 'tcpdump-A-loopback.txt', 'tcpdump -A -nn -e'],
    ['tcpdump-A-e-vv-crafted.txt', 'tcpdump-A-crafted.txt', 'tcpdump -A -e -vv, names not numbers'],
    ['tcpdump-A-names-loopback.txt', 'tcpdump-A-loopback.txt', 'tcpdump -A: localhost and port names'],
  ])('counts %s as %s (%s), peers and all', async (withLink, plainName) => {
    // Prepare
    const linked = readFixture(`text/${withLink}`);
    const plain = readFixture(`text/${plainName}`);

    // Act
    const fromLinked = await scanWhole(linked);
    const fromPlain = await scanWhole(plain);

    // Assess: same counts, peers and KPIs (before, -e lines went unread and bare SIP miscounted TCP; without -n the
    // peers were unknown)
    expect(linked.toString('latin1')).toMatch(
      /^\d{2}:\d{2}:\d{2}\.\d{6} (00:00:00:00:00:00 (\(oui Ethernet\) )?> |IP localhost\.)/,
    );
    expect({ ...fromLinked, bytes: 0 }).toEqual({ ...fromPlain, bytes: 0 });
  });

  it.each([
    [
      'tcpdump-A-e-sll-loopback.txt',
      'Linux cooked v1 (editcap -T linux-sll): " In <mac> ethertype IPv4 (0x0800), length N:"',
    ],
    [
      'tcpdump-A-e-sll2-loopback.txt',
      'Linux cooked v2 (editcap -T linux-sll2): "lo    In  ifindex 1 <mac> ethertype …"',
    ],
    ['tcpdump-A-e-null-loopback.txt', 'DLT_NULL (editcap -T null): "AF IPv4 (2), length N:"'],
    ['tcpdump-A-e-raw-loopback.txt', 'raw IP (editcap -T rawip): "ip:"'],
    [
      'tcpdump-A-number-loopback.txt',
      'tcpdump -A -nn -# on the DLT_NULL conversion of the loopback capture: "    1  " before each summary',
    ],
  ])('counts %s, printed by tcpdump -A -nn -e, as tshark counts its capture (%s)', async (name) => {
    // Prepare: /tmp conversions of tcpdump-loopback.pcap; tshark -Y sip.Status-Code on each: 4 × 180, 11 × 200
    const text = readFixture(`text/${name}`);

    // Act
    const { whole, differing } = await replayAtRandomCuts(text, 5);

    // Assess: before, the summaries went unread and the bare-SIP reader counted (TCP messages lost); any chunking counts the same
    expect(withoutKpis(whole)).toMatchObject({ ...LOOPBACK_COUNTS, bytes: text.length });
    expect(differing).toEqual([]);
  });

  it.each([
    ['tcpdump-X-crafted.txt', 'tcpdump-crafted.pcap'],
    ['tcpdump-xx-loopback.txt', 'tcpdump-loopback.pcap'],
    ['tcpdump-XX-e-tttt-crafted.txt', 'tcpdump-crafted.pcap'],
  ])(
    'decodes the hex dump %s as the capture it was printed from (%s), TCP reassembly included',
    async (dump, capture) => {
      // Prepare: -x/-X print from the IP header, -xx/-XX from the link layer; the bytes themselves, not text
      const text = readFixture(`text/${dump}`);
      const pcap = readFixture(`text/${capture}`);

      // Act
      const fromText = await scanWhole(text);
      const fromPcap = await scanWhole(pcap);

      // Assess: before, every packet was skipped: 0 responses and no word of it
      expect(text.toString('latin1')).toContain('\t0x0000:  ');
      const counts = (r: typeof fromText) => {
        const { bytes: _b, formats: _f, series: _s, timedResponses: _t, kpis, ...rest } = r;
        return { ...rest, inviteTransactions: kpis.inviteTransactions, established: kpis.established };
      };
      expect(fromText.formats).toEqual(['tcpdump-ascii']);
      expect(counts(fromText)).toEqual(counts(fromPcap));
      expect(fromText.responses).toBeGreaterThan(9);
    },
  );

  it('times every packet of a hex dump printed with -tttt (local time, read as UTC here)', async () => {
    // Prepare
    const text = readFixture('text/tcpdump-XX-e-tttt-crafted.txt');

    // Act
    const r = await scanWhole(text);

    // Assess: the crafted capture's ten responses, every one timed on 2026-11-24 13:39 or 13:40 UTC
    expect(r.responses).toBe(10);
    expect(r.timedResponses).toBe(10);
    expect(r.series.map((m) => m.minute)).toEqual(['2026-11-24T13:39:00.000Z']);
  });

  it('gives the same result for a hex dump however it is chunked', async () => {
    // Prepare
    const text = readFixture('text/tcpdump-X-crafted.txt');

    // Act
    const { whole, differing } = await replayAtRandomCuts(text, 5);

    // Assess
    expect(whole.responses).toBe(10);
    expect(differing).toEqual([]);
  });

  it('reads port-5060 datagrams, which tcpdump summarises as "SIP: <start line>" without a length', async () => {
    // Prepare
    const packets = packetsOf('tcpdump-A-crafted.txt');
    const text = packets.slice(CRAFTED.options5060, CRAFTED.ok5060 + 1).join('');

    // Act
    const r = await scanText(text);

    // Assess
    expect(text).toContain(': SIP: OPTIONS sip:carol@chicago.com SIP/2.0\n');
    expect([r.requestsByMethod, r.byMethod, r.unrecognizedBytes]).toEqual([
      { OPTIONS: 1 },
      { OPTIONS: { '200': 1 } },
      0,
    ]);
  });

  it('finds the payload after an IP header whose identification 0x0d0a printed as a lone LF', async () => {
    // Prepare
    const text = packetsOf('tcpdump-A-crafted.txt')[CRAFTED.inviteIdCrLf] ?? '';

    // Act
    const r = await scanText(text);

    // Assess: "E..." + LF (the CR dropped) + "@.@..." + the start line
    expect(text.split('\n')[1]).toBe('E...');
    expect([r.requestsByMethod, r.anomalies, r.unrecognizedBytes]).toEqual([{ INVITE: 1 }, {}, 0]);
  });

  it('ignores a CRLF keep-alive and the Ethernet padding printed after it', async () => {
    // Prepare
    const text = packetsOf('tcpdump-A-crafted.txt')[CRAFTED.keepAlive] ?? '';

    // Act
    const r = await scanText(text);

    // Assess
    // (a text of this packet alone read as tcpdump with no SIP message in it: no-sip-message, index.ts assertFoundSip)
    expect(text).toContain('UDP, length 4\n');
    expect([r.messages, r.anomalies, r.unrecognizedBytes]).toEqual([0, { 'no-sip-message': 1 }, 0]);
  });

  it('reassembles TCP: drops a retransmitted segment, joins a message cut between CR and LF, splits a segment holding two', async () => {
    // Prepare
    const packets = packetsOf('tcpdump-A-crafted.txt');
    const tcp = packets.slice(CRAFTED.tcpSyn, CRAFTED.tcpLast + 1);
    const withoutRetransmission = tcp.filter((_, i) => i !== CRAFTED.tcpRetransmission - CRAFTED.tcpSyn);

    // Act
    const r = await scanText(tcp.join(''));
    const clean = await scanText(withoutRetransmission.join(''));

    // Assess
    expect(packets[CRAFTED.tcpRetransmission]?.split('\n')[0]).toContain('Flags [P.], seq 1:142,');
    expect(packets[CRAFTED.tcpFirstSegment]?.split('\n')[0]).toContain('Flags [P.], seq 1:142,');
    expect({
      requestsByMethod: r.requestsByMethod,
      byMethod: r.byMethod,
      anomalies: r.anomalies,
      unrecognizedBytes: r.unrecognizedBytes,
    }).toEqual({
      requestsByMethod: { INVITE: 1, NOTIFY: 1, OPTIONS: 1 },
      byMethod: { INVITE: { '100': 1, '180': 1, '200': 1 }, NOTIFY: { '200': 1 }, OPTIONS: { '200': 1 } },
      anomalies: {},
      unrecognizedBytes: 0,
    });
    expect({ ...r, bytes: 0 }).toEqual({ ...clean, bytes: 0 });
  });

  it('joins a CRLF that TCP split into two segments, whose CR ascii_print dropped as the last byte of the first', async () => {
    // Prepare: SIPp NOTIFY/200 over TCP on [::1] with 576-byte segments; in six of the ten connections a segment ends
    // with the CR of a header line (or of the blank line) and the next one starts with its LF (README there)
    const text = gunzipSync(readFixture('text/tcpdump-A-crlf-split-tcp6.txt.gz'));
    const capture = readFixture('text/tcpdump-A-crlf-split-tcp6.pcap.gz');

    // Act
    const fromText = await scanWhole(text);
    const fromCapture = await scanWhole(capture);

    // Assess: tshark -d tcp.port==25108,sip on the capture: 10 NOTIFY, 10 × 200
    expect(fromText.formats).toEqual(['tcpdump-ascii']);
    expect(fromText.requestsByMethod).toEqual({ NOTIFY: 10 });
    expect(fromText.byMethod).toEqual({ NOTIFY: { '200': 10 } });
    expect(fromText.anomalies).toEqual({});
    for (const k of ['messages', 'byClass', 'byCode', 'byMethod', 'requestsByMethod', 'retransmissions'] as const) {
      expect({ [k]: fromText[k] }).toEqual({ [k]: fromCapture[k] });
    }
  });

  it('joins the split CRLFs in -q text too, where no sequence numbers or TCP options are printed', async () => {
    // Prepare: `tcpdump -A -q -nn -r` of the same capture
    const text = gunzipSync(readFixture('text/tcpdump-A-q-crlf-split-tcp6.txt.gz'));
    const capture = readFixture('text/tcpdump-A-crlf-split-tcp6.pcap.gz');

    // Act
    const fromText = await scanWhole(text);
    const fromCapture = await scanWhole(capture);

    // Assess: before, 5 responses, 8 requests, 7 stream-cut and an unreadable packet
    expect(fromText.requestsByMethod).toEqual({ NOTIFY: 10 });
    expect(fromText.byMethod).toEqual({ NOTIFY: { '200': 10 } });
    expect(fromText.anomalies).toEqual({});
    for (const k of ['messages', 'byClass', 'byCode', 'byMethod', 'requestsByMethod', 'retransmissions'] as const) {
      expect({ [k]: fromText[k] }).toEqual({ [k]: fromCapture[k] });
    }
  });

  it('puts the CRs back where Content-Length needs them when a folded header kept a bare LF (SIPp over TCP)', async () => {
    // Prepare: SIPp's UAS copies the UAC's folded `CSeq: 2` CRLF SP `INFO` with a bare LF before the fold, so one LF
    // of the 200 OK's 271 bytes had no CR; tcpdump -A prints every line end as a LF alone
    const text = readFixture('text/tcpdump-A-folded-cseq-tcp.txt');
    const capture = readFixture('text/tcpdump-A-folded-cseq-tcp.pcap');

    // Act
    const fromText = await scanWhole(text);
    const fromCapture = await scanWhole(capture);
    const { differing } = await replayAtRandomCuts(text, 5);

    // Assess: tshark -r the capture: 13 responses (5 OPTIONS, 4 INFO, 4 BYE 200s); before, the body's LF kept no CR,
    // the 200 OK took the next segment's first byte and the 4 BYE 200s were lost (stream-garbage 4)
    expect(fromText.byMethod).toEqual({ BYE: { '200': 4 }, INFO: { '200': 4 }, OPTIONS: { '200': 5 } });
    expect(fromText.anomalies).toEqual({});
    for (const k of ['messages', 'byClass', 'byCode', 'byMethod', 'requestsByMethod', 'retransmissions'] as const) {
      expect({ [k]: fromText[k] }).toEqual({ [k]: fromCapture[k] });
    }
    expect(differing).toEqual([]);
  });

  it('places a -q payload whose last byte is a CR ascii_print dropped (a 32 KB segment of 88 BYEs)', async () => {
    // Prepare: two segments of a SIPp -t t1 connection that was paused; the second ends in the CR of a CRLF
    const text = gunzipSync(readFixture('text/tcpdump-A-q-cr-at-end.txt.gz'));
    const capture = gunzipSync(readFixture('text/tcpdump-A-q-cr-at-end.pcap.gz'));

    // Act
    const fromText = await scanWhole(text);
    const fromCapture = await scanWhole(capture);

    // Assess: the text as the capture, anomalies too (the second segment once fitted two header lengths and was
    // dropped as an unreadable-packet). tshark 4.0.17 counts 88 requests: the first segment ends inside a request line
    // ("BYE s"), which it gives up on at a port other than 5060, and the second starts inside that line, so none of
    // its 86 BYEs is SIP to it (sip-framer.ts cutStartLine; 174 were counted before)
    expect(fromCapture.requests).toBe(88);
    expect(fromCapture.anomalies).toEqual({ 'stream-garbage': 2 });
    for (const k of ['messages', 'requestsByMethod', 'anomalies'] as const) {
      expect({ [k]: fromText[k] }).toEqual({ [k]: fromCapture[k] });
    }
  });

  it.each(['tcpdump-A-snaplen-udp.txt', 'tcpdump-X-snaplen-udp.txt'])(
    'reports UDP packets the snaplen cut as a capture does, and counts what they hold (%s)',
    async (name) => {
      // Prepare: three frames of a capture made with -s 300; two of them cut (README there)
      const text = readFixture(`text/${name}`);
      const capture = readFixture('text/tcpdump-snaplen-udp.pcap');

      // Act
      const fromText = await scanWhole(text);
      const fromCapture = await scanWhole(capture);

      // Assess: before, -A said nothing of the cut and -X called the packets malformed
      expect(fromCapture.anomalies).toEqual({ 'truncated-capture': 2 });
      expect(fromText.byMethod).toEqual({ INVITE: { '100': 1, '180': 1 } });
      for (const k of ['messages', 'byMethod', 'requestsByMethod', 'anomalies'] as const) {
        expect({ [k]: fromText[k] }).toEqual({ [k]: fromCapture[k] });
      }
    },
  );

  it('ends a packet the snaplen cut at the next summary line, never inside the next packet (a -s 200 capture)', async () => {
    // Prepare: frames 1-1200 of a live `tcpdump -s 200` capture of a Kamailio proxy run and `tcpdump -A -nn -r` of them
    const capture = gunzipSync(readFixture('text/tcpdump-s200.pcap.gz'));
    const text = gunzipSync(readFixture('text/tcpdump-A-s200.txt.gz'));

    // Act: the text's times of day dated by the capture's day
    const fromCapture = await scanWhole(capture);
    const fromText = await scan(chunked(text, []), { referenceMs: Date.parse('2026-12-07T12:00:00Z') });

    // Assess: tshark 4.0.17 counts 693 responses and 507 requests; before, a cut packet whose printed text was far
    // shorter than its length ran on until a later summary line made the length fit, and the packets between were
    // lost with no anomaly (681 responses, 1,176 cut packets said of 1,200)
    expect([fromCapture.responses, fromCapture.requests]).toEqual([693, 507]);
    const { formats: _a, bytes: _b, unrecognizedBytes: _c, ...seenInCapture } = fromCapture;
    const { formats: _d, bytes: _e, unrecognizedBytes: _f, ...seenInText } = fromText;
    expect(seenInText).toEqual(seenInCapture);
    expect(fromText.anomalies).toEqual({ 'truncated-capture': 1200, 'missing-cseq': 1200 });
  });

  it('reads the texts of two tcpdump runs joined as one capture (a connection numbered afresh by the second)', async () => {
    // Prepare: the last 6 packets of a TCP connection in one `tcpdump -C 1` rotation file and its first 8 in the next,
    // each printed by its own `tcpdump -A -nn -r` and joined with cat; the capture is `mergecap -a` of the two files
    const text = readFixture('text/tcpdump-A-rotation-joined.txt');
    const capture = readFixture('text/tcpdump-rotation-joined.pcap');

    // Act
    const fromText = await scan(chunked(text, []), { referenceMs: Date.parse('2026-12-07T12:00:00Z') });
    const fromCapture = await scanWhole(capture);

    // Assess: tshark 4.0.17 counts 5 responses (100, 180; 486, 100, 180) and 3 requests. The second run prints the
    // connection's first packet with absolute numbers; read in the first run's relative ones, it was a gap and the
    // next segments bytes already taken, dropped with no anomaly (3 responses, 1 request)
    expect([fromCapture.responses, fromCapture.requests, fromCapture.byCode]).toEqual([
      5,
      3,
      { '100': 2, '180': 2, '486': 1 },
    ]);
    for (const k of ['messages', 'byCode', 'byMethod', 'requestsByMethod', 'anomalies'] as const) {
      expect({ [k]: fromText[k] }).toEqual({ [k]: fromCapture[k] });
    }
  });

  it('restores a retransmission that starts at the CR a segment ended with, not after it', async () => {
    // Prepare: the second segment resends the CR the first ended with (make-retransmit-at-cr.py); its LF is its own
    const text = readFixture('text/tcpdump-A-retransmit-at-cr.txt');
    const capture = readFixture('text/tcpdump-retransmit-at-cr.pcap');

    // Act
    const fromText = await scanWhole(text);
    const fromCapture = await scanWhole(capture);

    // Assess: tshark: 3 INVITEs, each with its CSeq (before: the second's Call-ID and CSeq read as one line)
    expect(fromText.requestsByMethod).toEqual({ INVITE: 3 });
    expect(fromText.anomalies).toEqual({});
    for (const k of ['messages', 'requestsByMethod', 'anomalies', 'retransmissions'] as const) {
      expect({ [k]: fromText[k] }).toEqual({ [k]: fromCapture[k] });
    }
    expect(fromText.kpis.inviteTransactions).toBe(3);
  });

  it('gives the same result for the split CRLFs however the text is chunked', async () => {
    // Prepare
    const text = gunzipSync(readFixture('text/tcpdump-A-crlf-split-tcp6.txt.gz'));

    // Act
    const { whole, differing } = await replayAtRandomCuts(text, 5);

    // Assess
    expect(whole.responses).toBe(10);
    expect(differing).toEqual([]);
  });

  it('gives the same tally when the crafted capture is cut in two at any byte', async () => {
    // Prepare
    const data = readFixture('text/tcpdump-A-crafted.txt');

    // Act
    const { whole, differing } = await replayCutInTwo(data);

    // Assess
    expect(differing).toEqual([]);
    expect(whole.responses).toBe(10);
    // ~9,000 scans of a 9 KB text: a minute or more on a loaded 2-core machine
  }, 240_000);

  it.each([
    ['tcpdump-A-loopback.txt', 15],
    ['tcpdump-A-tttt-loopback.txt', 15],
    ['tcpdump-A-crafted.txt', 10],
    ['tcpdump-A-vv-crafted.txt', 10],
  ] as const)('gives the same tally wherever %s is cut into chunks', async (name, responses) => {
    // Prepare
    const data = readFixture(`text/${name}`);

    // Act
    const { whole, differing } = await replayAtRandomCuts(data, 12);

    // Assess
    expect(differing).toEqual([]);
    expect(whole.responses).toBe(responses);
  });
});
