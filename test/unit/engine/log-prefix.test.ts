import { readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { scan } from '../../../lambda/engine/index.js';
import {
  hasLinePrefixes,
  LinePrefixStripper,
  linePrefixAt,
  MAX_PREFIX_BYTES,
  PREFIX,
} from '../../../lambda/engine/log-prefix.js';
import { chunked, readFixture } from '../../support/collect.js';
import { CORPUS_DIR, corpusFiles } from '../../support/corpus.js';

const CRLF = '\r\n';
const CR = 0x0d;
/** A NOTIFY whose sipfrag body is a status line, then its 200: only Content-Length tells the body's "SIP/2.0 503" from a response. */
const NOTIFY_BODY = `SIP/2.0 503 Service Unavailable${CRLF}`;
const NOTIFY = [
  'NOTIFY sip:alice@192.0.2.101 SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bK1',
  'From: <sip:bob@biloxi.com>;tag=a',
  'To: <sip:alice@atlanta.com>;tag=b',
  'Call-ID: prefix-test-1',
  'CSeq: 2 NOTIFY',
  'Content-Type: message/sipfrag',
  `Content-Length: ${NOTIFY_BODY.length}`,
  '',
  NOTIFY_BODY,
].join(CRLF);
const OK = [
  'SIP/2.0 200 OK',
  'Via: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bK1',
  'From: <sip:bob@biloxi.com>;tag=a',
  'To: <sip:alice@atlanta.com>;tag=b',
  'Call-ID: prefix-test-1',
  'CSeq: 2 NOTIFY',
  'Content-Length: 0',
  '',
  '',
].join(CRLF);

/** `text` with `prefix` before every line, as a logger that prefixes each line writes it. */
const prefixEach = (prefix: string, text: string): string =>
  text
    .split('\n')
    .slice(0, text.endsWith('\n') ? -1 : undefined)
    .map((l) => `${prefix}${l}\n`)
    .join('');

const PREFIXES = {
  'syslog (RFC 3164) with Asterisk level and ids':
    'Nov 24 13:39:27 pbx asterisk[1234]: VERBOSE[1234][C-0000abcd] chan_sip.c: ',
  'ISO 8601 with an offset': '2026-11-24T14:39:27.271+01:00 ',
  'FreeSWITCH-style level and source line': '2026-11-24 13:39:27.271824 [DEBUG] sofia.c:7084 ',
  'Asterisk plain format with line and function':
    '[2026-11-24 13:39:27] VERBOSE[1234][C-00000001]: chan_sip.c:4841 send_request: ',
  // before: only the time was cut off; a pjsip log under either counted 0 responses with no error
  'container runtime (CRI: containerd, CRI-O, /var/log/pods)': '2026-11-24T13:39:27.271824123Z stdout F ',
  'journalctl -o short-iso': '2026-11-24T14:39:27+0100 pbx kamailio[1234]: ',
  'journalctl -o short-unix': '1795527567.271824 pbx kamailio[1234]: ',
  'journalctl -o short-full': 'Tue 2026-11-24 13:39:27 UTC pbx kamailio[1234]: ',
  'RFC 5424 (rsyslog RSYSLOG_SyslogProtocol23Format)': '<134>1 2026-11-24T14:39:27.271824+01:00 pbx kamailio 1234 - - ',
  'RFC 5424 with structured data (syslog-ng flags(syslog-protocol))':
    '<134>1 2026-11-24T14:39:27+01:00 pbx kamailio 1234 - [meta sequenceId="12" x="a\\"]b"] ',
} as const;

describe('logger prefixes on every line', () => {
  for (const [name, prefix] of Object.entries(PREFIXES)) {
    it(`strips a ${name} prefix and frames the sipfrag body by Content-Length`, async () => {
      // Prepare
      const log = Buffer.from(prefixEach(prefix, NOTIFY + OK), 'latin1');

      // Act
      const r = await scan(chunked(log, []), { referenceMs: Date.parse('2026-11-24T14:00:00Z') });

      // Assess
      expect(r.requests).toBe(1);
      expect(r.responses).toBe(1);
      expect(r.byCode).toEqual({ '200': 1 });
      expect(r.unrecognizedBytes).toBe(0);
      expect(r.anomalies).toEqual({});
      expect(r.series.map((m) => m.minute)).toEqual(['2026-11-24T13:39:00.000Z']);
    });
  }

  it('reads an RFC 5424 head longer than other prefixes (a 255-byte host name, structured data)', () => {
    // Prepare
    const head = `<134>1 2026-12-07T12:10:48+05:30 ${'h'.repeat(255)} kamailio 18215 - [meta sequenceId="12"][origin ip="192.0.2.1"] `;
    const line = Buffer.from(`${head}SIP/2.0 200 OK`, 'latin1');

    // Act
    const p = linePrefixAt(line, 0, line.length);

    // Assess
    expect([p?.length, p?.time, p?.syslog]).toEqual([head.length, '2026-12-07T12:10:48+05:30', true]);
  });

  it('finds where the prefix ends and what time it printed', () => {
    // Prepare
    const line = Buffer.from('[Nov  4 09:05:01] VERBOSE[77][C-0000000a] chan_sip.c: SIP/2.0 200 OK\r', 'latin1');

    // Act
    const p = linePrefixAt(line, 0, line.length);

    // Assess
    expect(p).toEqual({
      length: '[Nov  4 09:05:01] VERBOSE[77][C-0000000a] chan_sip.c: '.length,
      time: 'Nov  4 09:05:01',
      syslog: false,
      column: 0,
      stream: undefined,
      partial: false,
      headLength: '[Nov  4 09:05:01] VERBOSE[77][C-0000000a] chan_sip.c: '.length,
    });
    // rsyslog's RSYSLOG_FileFormat of `logger -t tag`: an ISO time, host and tag without a pid
    const iso = Buffer.from('2026-12-06T22:27:42.949072+00:00 vm sipcap: SIP/2.0 200 OK', 'latin1');
    expect(linePrefixAt(iso, 0, iso.length)).toEqual({
      length: '2026-12-06T22:27:42.949072+00:00 vm sipcap: '.length,
      time: '2026-12-06T22:27:42.949072+00:00',
      syslog: true,
      // journalctl would indent a further line of this entry by as much
      column: '2026-12-06T22:27:42.949072+00:00 vm sipcap: '.length,
      stream: undefined,
      partial: false,
      headLength: '2026-12-06T22:27:42.949072+00:00 vm sipcap: '.length,
    });
    // a container runtime's record of a line's first part (its text goes on in the next record)
    const cri = Buffer.from('2026-12-07T17:18:00.123456789Z stderr P { "idx": 0, "message": "RCV', 'latin1');
    expect(linePrefixAt(cri, 0, cri.length)).toMatchObject({
      length: '2026-12-07T17:18:00.123456789Z stderr P '.length,
      time: '2026-12-07T17:18:00.123456789Z',
      stream: 'stderr',
      partial: true,
      headLength: '2026-12-07T17:18:00.123456789Z stderr P '.length,
    });
    // a next part whose text looks like a level: the record's head ends at the mark
    const next = Buffer.from('2026-12-07T17:18:00.123456789Z stderr F [DEBUG] main.go:42 rest', 'latin1');
    expect(linePrefixAt(next, 0, next.length)?.headLength).toBe('2026-12-07T17:18:00.123456789Z stderr F '.length);
    expect(linePrefixAt(Buffer.from('Max-Forwards: 70'), 0, 16)).toBeNull();
    expect(linePrefixAt(Buffer.from('13:39:27.271 IP 127.0.0.1.5060 > 127.0.0.1.5061: UDP'), 0, 52)).toBeNull();
  });

  it('tells a prefix from its first bytes exactly as the whole pattern does, on every line of the text fixtures and corpus', () => {
    // Prepare: every line of the text fixtures and of the shared corpus's text logs, and each prefix above before a
    // status line, a header and a blank (the prefilter reads five bytes: '[', four digits and '-', or a month and SP)
    const files = [
      ...readdirSync(new URL('../../fixtures/text/', import.meta.url))
        .filter((f) => !f.endsWith('.md'))
        .map((f) => readFixture(`text/${f}`)),
      ...corpusFiles()
        .filter((f) => !/\.(pcap|pcapng|gz)$/.test(f))
        .map((f) => readFileSync(CORPUS_DIR + f)),
      Buffer.from(
        Object.values(PREFIXES)
          .flatMap((p) => [`${p}SIP/2.0 200 OK`, `${p}From: <sip:a@b>`, p])
          .join('\n'),
      ),
      // syslog's month names, each a prefix, and lines that start like one but are none
      Buffer.from(
        ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
          .flatMap((m) => [`${m}  4 09:05:01 pbx asterisk[1]: SIP/2.0 200 OK`, `${m}x 4 09:05:01 pbx p[1]: x`])
          .join('\n'),
      ),
      Buffer.from('May 1 x\nMarch 1\nOctet: 1\nDecline\n2026-11-24 13:39:27 x\n2026 x\n[\n'),
      // RFC 5424 heads, epoch seconds and weekdays, and lines that start like them but are none
      Buffer.from(
        [
          '<html>',
          '<12>x',
          '<13>1 - h a p m - SIP/2.0 200 OK',
          '<13>1 2026-11-24T13:39:27Z h a p m [x',
          'Mon 1',
          'Monday 2026',
          'Sun 2026-11-22 13:39:27 +0530 h t[1]: x',
          '1234567890 x',
          '1234567890.123456',
          '1234567890.123456 h t[1]: x',
          '12345678.123456 h t[1]: x',
          '123456789012.123456 h t[1]: x',
        ].join('\n'),
      ),
    ];
    const lines = files.flatMap((buf) => {
      const out: [Buffer, number, number][] = [];
      for (let ls = 0; ls < buf.length; ) {
        const lf = buf.indexOf(0x0a, ls);
        const le = lf < 0 ? buf.length : lf;
        out.push([buf, ls, le]);
        ls = le + 1;
      }
      return out;
    });
    // the pattern alone, on the text linePrefixAt gives it (MAX_PREFIX_BYTES at most, a CR before the line's end cut)
    const byPattern = ([buf, ls, le]: [Buffer, number, number]): number | null => {
      let e = Math.min(le, ls + MAX_PREFIX_BYTES);
      if (e === le && e > ls && buf[e - 1] === CR) e--;
      return PREFIX.exec(buf.toString('latin1', ls, e))?.[0].length ?? null;
    };

    // Act
    const got = lines.map(([buf, ls, le]) => linePrefixAt(buf, ls, le)?.length ?? null);

    // Assess
    expect(lines.length).toBeGreaterThan(100_000);
    expect(got).toEqual(lines.map(byPattern));
    expect(got.filter((n) => n !== null).length).toBeGreaterThan(100);
  });

  it('leaves logs alone whose prefixes stand only above the messages (Asterisk full log, chan_sip fixture; the corpus pjsip log)', () => {
    // Prepare
    const fixtures = [readFixture('text/chan-sip-full.log'), readFixture('text/freeswitch-siptrace.log')];

    // Act
    const verdicts = fixtures.map((f) => hasLinePrefixes(f.subarray(0, 64 * 1024)));

    // Assess
    expect(verdicts).toEqual([false, false]);
  });
});

describe('LinePrefixStripper', () => {
  it('keeps the time in force after forgetting the marks behind the scan', async () => {
    // Prepare: 3,000 prefixed lines, one second apart, no SIP
    const lines = Array.from({ length: 3000 }, (_, i) => {
      const t = new Date(Date.UTC(2026, 10, 24, 13, 0, i)).toISOString().slice(0, 19).replace('T', ' ');
      return `[${t}] VERBOSE[1] app.c: line ${i}\n`;
    }).join('');
    const stripper = new LinePrefixStripper();

    // Act
    const out: Buffer[] = [];
    for await (const b of stripper.strip(chunked(Buffer.from(lines), [4096, 70_000]))) out.push(b);
    const text = Buffer.concat(out).toString();
    const at2500 = text.indexOf('line 2500\n');
    stripper.release(text.indexOf('line 2000\n'));
    const stamp = stripper.at(at2500);

    // Assess: each line lost its prefix, and line 2500's time is still known
    expect(text.startsWith('line 0\nline 1\n')).toBe(true);
    expect(stamp).toEqual({ kind: 'local', wallMs: Date.UTC(2026, 10, 24, 13, 0, 2500) });
  });
});

/**
 * Logs fed to syslog line by line (`logger -t tag -f LOG` into rsyslog 8.2302; test/fixtures/text/README.md): rsyslog's
 * default escaping writes each control character as '#' and three octal digits, so every CRLF line ends in "#015";
 * its RSYSLOG_FileFormat prints an ISO time and `logger -t` no pid.
 */
describe('logs passed through rsyslog', () => {
  it('decodes the escaped CRs, so Content-Length frames the sipfrag body: tshark counts 5 responses', async () => {
    // Prepare: one SIPp call whose INFO carries a message/sipfrag body "SIP/2.0 486 Busy Here"
    const log = readFixture('text/sipp-rsyslog-escaped.log');

    // Act
    const r = await scan(chunked(log, []));

    // Assess
    expect(log.toString('latin1')).toContain('SIP/2.0 486 Busy Here#015');
    expect(r.formats).toEqual(['sipp']);
    expect(r.byMethod).toEqual({
      BYE: { '200': 1 },
      INFO: { '200': 1 },
      INVITE: { '180': 1, '200': 1 },
      OPTIONS: { '200': 1 },
    });
    expect(r.anomalies).toEqual({});
  });

  it('reads RSYSLOG_FileFormat lines, whose ISO time is followed by a tag without a pid', async () => {
    // Prepare
    const log = readFixture('text/sipp-rsyslog-iso-no-pid.log');

    // Act
    const r = await scan(chunked(log, []));

    // Assess
    expect(log.toString('latin1')).toMatch(/^2026-12-06T22:27:\d\d\.\d{6}\+00:00 vm sipcap: /);
    expect(r.formats).toEqual(['sipp']);
    expect(r.byCode).toEqual({ '180': 1, '200': 4 });
    expect(r.anomalies).toEqual({});
  });

  it('leaves a "#0123" of a message alone where syslog did not escape (raw CRs: escaping off, journalctl)', async () => {
    // Prepare: a MESSAGE whose text holds "#0123", then its 200, three times, each line with a syslog prefix
    const body = 'Ticket #0123 done\r\n';
    const call = (n: number): string =>
      [
        `MESSAGE sip:b@x SIP/2.0`,
        `Via: SIP/2.0/UDP a;branch=z9hG4bK${n}`,
        `Call-ID: esc-${n}`,
        `CSeq: ${n} MESSAGE`,
        'Content-Type: text/plain',
        `Content-Length: ${body.length}`,
        '',
        body.slice(0, -2),
        'SIP/2.0 200 OK',
        `Via: SIP/2.0/UDP a;branch=z9hG4bK${n}`,
        `Call-ID: esc-${n}`,
        `CSeq: ${n} MESSAGE`,
        'Content-Length: 0',
        '',
      ].join('\r\n');
    const text = [1, 2, 3]
      .map(call)
      .join('\r\n')
      .split('\n')
      .map((l) => `Dec  6 22:27:41 vm sipcap[12]: ${l}`)
      .join('\n');

    // Act
    const r = await scan(chunked(Buffer.from(`${text}\n`, 'latin1'), []));

    // Assess
    expect(r.byMethod).toEqual({ MESSAGE: { '200': 3 } });
    expect(r.unrecognizedBytes).toBe(0);
  });

  it('decodes an escape that the cut of a line over 1 MiB splits, however the input is chunked', async () => {
    // Prepare: an escaped syslog log with a 1.5 MB line (a "#015" every 64 bytes) between its messages
    const log = readFixture('text/sipp-rsyslog-escaped.log').toString('latin1');
    const long = `Dec  6 22:27:41 vm sipcap: ${'x'.repeat(60)}#015`.repeat(24_000);
    const input = Buffer.from(log.replace(/\n/, `\n${long}\n`), 'latin1');

    // Act
    const whole = await scan(chunked(input, []));
    const cuts = await Promise.all([196_608, 1_027_019, 1_200_000, 1_500_001].map((c) => scan(chunked(input, [c]))));

    // Assess
    expect(whole.byCode).toEqual({ '180': 1, '200': 4 });
    for (const r of cuts) expect([r.byCode, r.unrecognizedBytes]).toEqual([whole.byCode, whole.unrecognizedBytes]);
  });

  it("keeps ngrep's packet number #1770 as text (not rsyslog's escape of DEL)", async () => {
    // Prepare: one packet of a real `ngrep -W byline` log (packet #1770, a 180) with a syslog prefix on every line
    const log = readFixture('text/ngrep-byline-packet-1770-syslog.txt');

    // Act
    const r = await scan(chunked(log, []));

    // Assess
    expect(log.toString('latin1')).toContain('127.0.0.1:28300 #1770\n');
    expect(r.formats).toEqual(['ngrep']);
    expect(r.byMethod).toEqual({ INVITE: { '180': 1 } });
  });

  it('decodes an escaped TAB in tcpdump -A text, as tshark counts the capture', async () => {
    // Prepare
    const log = gunzipSync(readFixture('text/tcpdump-A-rsyslog-escaped.txt.gz'));

    // Act
    const r = await scan(chunked(log, []));

    // Assess: tshark 193 responses (180 × 37, 200 × 156), 9 resent requests
    expect(log.toString('latin1').split('#011').length - 1).toBe(6);
    expect(r.byCode).toEqual({ '180': 37, '200': 156 });
    expect(r.retransmissions).toEqual({ requests: 9, responses: 0 });
    expect(r.anomalies).toEqual({});
  });
});
