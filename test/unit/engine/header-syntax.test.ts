import { describe, expect, it } from 'vitest';
import { kpiRatios } from '../../../lambda/engine/kpis.js';
import { parseMessage } from '../../../lambda/engine/sip-message.js';
import type { ScanResult } from '../../../lambda/engine/tally.js';
import { readFixture, replayAtRandomCuts, scanWhole } from '../../support/collect.js';
import { readTsharkReading, scanKpis, type TsharkReadingWithKpis, tsharkKpis } from '../../support/tshark-counts.js';

const fixture = (name: string): Buffer => readFixture(`header-syntax/${name}`);
/** tshark's reading of a fixture (test/fixtures/header-syntax/README.md). */
const truth = (name: string): TsharkReadingWithKpis =>
  readTsharkReading<TsharkReadingWithKpis>(`header-syntax/${name}.tshark.json`);

const asTshark = (r: ScanResult) => ({
  responses: r.responses,
  byMethod: r.byMethod,
  retransmissions: r.retransmissions,
  kpis: scanKpis(r),
});

describe('header values folded over continuation lines (RFC 3261 §7.3.1)', () => {
  it.each([
    ['fold-cseq', '.pcap'],
    ['fold-cseq', '.tcpdump-A.txt'],
    ['fold-via', '.pcap'],
    ['fold-via', '.tcpdump-A.txt'],
    ['fold-cid', '.pcap'],
    ['fold-cid', '.tcpdump-A.txt'],
    ['kamailio-fold-cid', '.pcap'],
    ['kamailio-fold-via', '.pcap'],
  ])('reads %s%s as tshark does', async (name, ext) => {
    // Prepare: before, a folded CSeq gave method UNKNOWN (SER 0), a folded Via or Call-ID two transactions (SER 50)
    const want = truth(name);

    // Act
    const got = await scanWhole(fixture(`${name}${ext}`));

    // Assess
    expect(asTshark(got)).toEqual({
      responses: want.responses,
      byMethod: want.byMethod,
      retransmissions: want.retransmissions,
      kpis: tsharkKpis(want.kpis),
    });
    expect(got.anomalies).toEqual({});
  });

  it.each([
    'cseq-tab.pcap',
    'cseq-tab.tcpdump-A.txt',
    'cseq-tab.ngrep-byline.txt',
    'cseq-tab.ngrep-normal.txt',
    'cseq-tab.ngrep-single.txt',
  ])("reads a CSeq whose blanks are TABs (ngrep prints each as '.') in %s as tshark does", async (name) => {
    // Prepare: before, ngrep's `CSeq:.1  .INVITE` gave the method `.1` (SER 0)
    const want = truth('cseq-tab');

    // Act
    const got = await scanWhole(fixture(name));

    // Assess
    expect([got.responses, got.byMethod, kpiRatios(got.kpis).ser]).toEqual([
      want.responses,
      want.byMethod,
      want.kpis.ser,
    ]);
  });

  it('reads a folded value the same however the log is chunked', async () => {
    // Prepare / Act
    const { differing } = await replayAtRandomCuts(fixture('fold-cseq.tcpdump-A.txt'), 6);

    // Assess
    expect(differing).toEqual([]);
  });
});

describe('a UDP datagram whose bytes go on past its Content-Length, in text logs', () => {
  it.each([
    ['cl-zeros-180', 1],
    ['fold-cl-180', 1],
    ['kamailio-cl0-body-180', 2],
  ])('counts the first message of each datagram of %s only, as tshark and the capture do', async (name, responses) => {
    // Prepare: before, the tcpdump -A and ngrep texts counted the body's quoted 486 and 503 too (3 per datagram)
    const capture = await scanWhole(fixture(`${name}.pcap`));

    for (const ext of ['.tcpdump-A.txt', '.ngrep-byline.txt']) {
      // Act
      const got = await scanWhole(fixture(`${name}${ext}`));

      // Assess
      expect([got.responses, got.byCode, got.byMethod]).toEqual([responses, { '180': responses }, capture.byMethod]);
    }
    expect(capture.byCode).toEqual({ '180': responses });
  });

  it("counts a Kamailio sipdump record's first message only: its record ends with a line of its own", async () => {
    // Act
    const got = await scanWhole(fixture('kamailio-sipdump-cl0-body-180.data'));

    // Assess
    expect([got.responses, got.byCode, got.anomalies]).toEqual([2, { '180': 2 }, {}]);
  });

  it('still counts a SIPp entry the old way: its entries end with no line of their own (a known limit)', async () => {
    // Act
    const got = await scanWhole(fixture('no-cl-180.sipp-messages.log'));

    // Assess: tshark counts 1 on the wire
    expect(got.byCode).toEqual({ '180': 1, '486': 1, '503': 1 });
  });
});

describe('folded values and dotted white space, parsed alone', () => {
  const bytesOf = (text: string): Buffer => Buffer.from(text, 'latin1');

  it("stops a folded value at a line the log's fence marks (a Kamailio record starts with a blank)", () => {
    // Prepare: the review's case, a Call-ID glued to the log record after it
    const buf = bytesOf('SIP/2.0 200 OK\r\nCall-ID: abc@host\r\n 7(1234) INFO: <core> next log entry\r\n');
    const fence = (b: Buffer, ls: number): boolean => b[ls + 1] === 0x37;

    // Act
    const r = parseMessage(buf, 0, buf.length, { dotCR: false, complete: true, fence, identity: 'full' });

    // Assess
    expect(r.kind === 'message' ? r.msg.callId : r.kind).toBe('abc@host');
  });

  it("reads ngrep's '.' for a TAB before a Content-Length as white space, so the body is framed", () => {
    // Prepare: `Content-Length:<TAB>5` printed by ngrep byline, then the body and the next message of the stream
    const buf = bytesOf('SIP/2.0 200 OK.\nCSeq:.1.INVITE.\nContent-Length:.5.\n.\nhelloSIP/2.0 180 Ringing.\n');

    // Act
    const r = parseMessage(buf, 0, buf.length, { dotCR: true, complete: false, identity: 'full' });

    // Assess
    expect(r.kind === 'message' ? [r.end, r.msg.cseqMethod] : r.kind).toEqual([buf.indexOf('SIP/2.0 180'), 'INVITE']);
  });
});

describe('CSeq values tshark reads its own way (strtoul, then the method from the first letter)', () => {
  it.each([
    ['cseq-letters-kamailio-400.pcap', 'abc OPTIONS', '400'],
    ['cseq-negative.pcap', 'OPTIONS', '400'],
    ['cseq-past-2-32.pcap', 'OPTIONS', '420'],
  ])('files %s under method %s and marks its copies resent, as tshark', async (name, method, code) => {
    // Prepare: an OPTIONS sent twice and Kamailio's answer to each (test/fixtures/header-syntax/README.md)
    const bytes = fixture(name);

    // Act
    const got = await scanWhole(bytes);

    // Assess: before, `abc OPTIONS` and `-5 OPTIONS` were missing-cseq, filed under `abc` and `-5`, and no copy resent
    expect([got.byMethod, got.retransmissions, got.anomalies]).toEqual([
      { [method]: { [code]: 2 } },
      { requests: 1, responses: 1 },
      {},
    ]);
  });
});
