import { describe, expect, it } from 'vitest';
import { kamailioLogReader } from '../../../../lambda/engine/formats/kamailio-log.js';
import { NEED_MORE } from '../../../../lambda/engine/formats/text-format.js';
import { readFixture, replayAtRandomCuts, scanWhole } from '../../../support/collect.js';

/**
 * Kamailio's stderr log with `log_color=yes` (`kamailio -E -e`): core/dprint.h writes the level's colour
 * ("\x1b[0;32;49m") before the " 1(pid) NOTICE: " prefix and resets it ("\x1b[0;39;49m") at the start of the next
 * record, so no record line starts with the prefix itself. Real Kamailio 5.6.3 runs (test/fixtures/kamailio/README.md).
 */
describe('Kamailio stderr log with colours', () => {
  it('reads the replies a coloured log prints, as tshark counts them on the capture', async () => {
    // Prepare: one SIPp call through Kamailio, whose onreply_route xlogs "$mb"; the capture of the same run
    const log = readFixture('kamailio/kamailio-color-stderr.log');
    const capture = readFixture('kamailio/kamailio-color.pcap');

    // Act
    const fromLog = await scanWhole(log);
    const fromCapture = await scanWhole(capture);

    // Assess: tshark, replies reaching Kamailio (udp.dstport == 28800): 180 INVITE, 200 INVITE, 200 BYE
    expect(log.includes('\x1b[0;32;49m 1(')).toBe(true);
    expect(fromLog.formats).toEqual(['kamailio-log']);
    expect(fromLog.byMethod).toEqual({ BYE: { '200': 1 }, INVITE: { '180': 1, '200': 1 } });
    expect(fromLog.anomalies).toEqual({});
    // the capture holds both legs and Kamailio's own 100: 7 responses, 3 of them the callee's to Kamailio
    expect(fromCapture.byCode).toEqual({ '100': 1, '180': 2, '200': 4 });
  });

  it('reads a coloured log with a log_prefix of its own, one response per reply the script logged', async () => {
    // Prepare: the first 400 lines of a proxy's log (log_color, log_prefix="{$mt $hdr(CSeq) $ci} ", onreply_route
    // xlog "K1-REPLY $rs from $si:$sp $mb"); each reply it received is one such line
    const log = readFixture('kamailio/kamailio-color-log-prefix.log');
    const text = log.toString('latin1');
    const logged = [...text.matchAll(/K1-REPLY (\d{3}) from /g)].map((m) => m[1]);

    // Act
    const result = await scanWhole(log);

    // Assess
    expect(logged.length).toBe(10);
    expect(result.responses).toBe(logged.length);
    expect(result.byCode).toEqual({ '100': 10 });
    expect(result.requests).toBe([...text.matchAll(/K1-RCV /g)].length);
    expect(result.anomalies).toEqual({});
  });

  it('gives the same result however the coloured log is chunked', async () => {
    // Prepare
    const log = readFixture('kamailio/kamailio-color-log-prefix.log');

    // Act
    const { whole, differing } = await replayAtRandomCuts(log, 5);

    // Assess
    expect(whole.responses).toBe(10);
    expect(differing).toEqual([]);
  });
});

/**
 * Kamailio at debug=3 prints, besides the script's xlog lines, tm's "_reply_light(): reply sent out - buf=0x...:
 * SIP/2.0 100 trying -... shmem=0x...: SIP/2.0 100 tr" (the first 20 bytes of a reply it sends itself, twice) and the
 * core's "generate_res_buf_from_sip_res(): ... msg=" followed by the whole relayed reply on the next lines.
 */
describe('Kamailio stderr log at debug=3', () => {
  it('counts the messages it prints whole, not the 20-byte quotes of a debug record', async () => {
    // Prepare: the first 1,200 lines of a proxy's log (xlog "$mb" in request_route and onreply_route)
    const log = readFixture('kamailio/kamailio-debug3.log');
    const text = log.toString('latin1');
    const xlogged = text.match(/<script>: SIP\/2\.0 /g)?.length ?? 0;
    const relayed = text.match(/ msg=\r?\nSIP\/2\.0 /g)?.length ?? 0;
    const quoted = text.match(/_reply_light\(\): reply sent out - buf=0x[0-9a-f]+: SIP\/2\.0 100 /g)?.length ?? 0;

    // Act
    const result = await scanWhole(log);

    // Assess
    expect([xlogged, relayed, quoted]).toEqual([6, 4, 3]);
    expect(result.responses).toBe(xlogged + relayed);
    expect(result.byMethod).toEqual({ INVITE: { '100': 2, '180': 6, '200': 2 } });
    expect(result.anomalies).toEqual({});
  });

  it("passes over tm's quote of a 200 whose 20 bytes hold a CRLF", async () => {
    // Prepare: tm's record for a reply it sends itself (t_reply.c _reply_light: "reply sent out - buf=%p: %.20s...
    // shmem=%p: %.20s"), the 20 bytes of "SIP/2.0 200 OK\r\nVia: ..." splitting it over three lines, between two of
    // the fixture's records
    const quote = 'SIP/2.0 200 OK\r\nVia:';
    const record = ` 1(20112) DEBUG: tm [t_reply.c:637]: _reply_light(): reply sent out - buf=0x7f549043c370: ${quote}... shmem=0x7f548c3235c8: ${quote}\n`;
    const lines = readFixture('kamailio/kamailio-debug3.log').toString('latin1').split('\n');
    const log = Buffer.from([...lines.slice(0, 3), record, ...lines.slice(3)].join('\n'), 'latin1');

    // Act
    const result = await scanWhole(log);

    // Assess
    expect(result.responses).toBe(10);
    expect(result.byMethod).toEqual({ INVITE: { '100': 2, '180': 6, '200': 2 } });
  });

  it('gives the same result however the debug log is chunked', async () => {
    // Prepare
    const log = readFixture('kamailio/kamailio-debug3.log');

    // Act
    const { whole, differing } = await replayAtRandomCuts(log, 6);

    // Assess
    expect(whole.responses).toBe(10);
    expect(differing).toEqual([]);
  });
});

describe('a Kamailio record whose start line ends what the scanner holds', () => {
  it('asks for more before deciding, and is no message at the end of input', () => {
    // Prepare: the record's line and nothing after it, then the same with the message's first header line
    const line = ' 1(10185) NOTICE: <script>: SIP/2.0 200 OK\r\n';
    const alone = Buffer.from(line, 'latin1');
    const withHeader = Buffer.from(`${line}Via: SIP/2.0/UDP 127.0.0.1:28800;branch=z9hG4bK1\r\n`, 'latin1');
    const lf = line.length - 1;
    const ctx = (final: boolean) => ({ final, isHeaderLine: () => false });

    // Act
    const more = kamailioLogReader.match(alone, 0, lf, alone.length, ctx(false));
    const atEnd = kamailioLogReader.match(alone, 0, lf, alone.length, ctx(true));
    const found = kamailioLogReader.match(withHeader, 0, lf, withHeader.length, ctx(false));

    // Assess
    expect(more).toBe(NEED_MORE);
    expect(atEnd).toBeNull();
    expect(found !== null && found !== NEED_MORE ? [found.kind, found.next] : found).toEqual([
      'inline',
      line.indexOf('SIP/2.0'),
    ]);
  });
});
