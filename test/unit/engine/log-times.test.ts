import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type ScanOptions, scan } from '../../../lambda/engine/index.js';
import type { ScanResult } from '../../../lambda/engine/tally.js';
import { chunked, readFixture } from '../../support/collect.js';
import { CORPUS_DIR } from '../../support/corpus.js';

/**
 * Logs whose times need a zone, a date or a year from outside, made from the shared corpus's
 * mixed.pcap moved in time with editcap (test/fixtures/time/make-time-fixtures.py): tcpdump's own
 * -A text, and Asterisk and FreeSWITCH logs written from the capture's payloads with a logger
 * prefix on every line. Each is checked against responses per UTC minute that tshark counted on
 * the moved capture (the *.truth.json beside it).
 */

const truthOf = (fixture: string): Record<string, Record<string, number>> =>
  JSON.parse(readFixture(`time/${fixture.replace(/\.gz$/, '')}.truth.json`).toString()).responsesPerMinute;

const perMinute = (r: ScanResult): Record<string, Record<string, number>> =>
  Object.fromEntries(r.series.map((m) => [m.minute, m.byCode]));

const scanFixture = (fixture: string, opts: ScanOptions, cuts: readonly number[] = []): Promise<ScanResult> =>
  scan(chunked(readFixture(`time/${fixture}`), cuts), opts);

const CASES: readonly { fixture: string; what: string; opts: ScanOptions }[] = [
  {
    fixture: 'asterisk-full-new-year-berlin.log.gz',
    what: 'an Asterisk chan_sip full log in Europe/Berlin, "[Dec 31 23:59:59]" prefixes on every line, across New Year',
    opts: { timeZone: 'Europe/Berlin', referenceMs: Date.parse('2027-01-01T00:10:00Z') },
  },
  {
    fixture: 'pjsip-full-autumn-berlin.log.gz',
    what: 'an Asterisk pjsip full log with "[YYYY-MM-DD hh:mm:ss] VERBOSE[...]" prefixes across the repeated autumn hour in Europe/Berlin',
    opts: { timeZone: 'Europe/Berlin', referenceMs: Date.parse('2026-10-25T02:00:00Z') },
  },
  {
    fixture: 'freeswitch-siptrace-midnight-berlin.log.gz',
    what: 'a FreeSWITCH siptrace (time of day only) across midnight in Europe/Berlin',
    opts: { timeZone: 'Europe/Berlin', referenceMs: Date.parse('2026-11-25T00:00:00Z') },
  },
  {
    fixture: 'tcpdump-A-midnight-new-york.txt.gz',
    what: 'tcpdump -A text (time of day only, printed by tcpdump in America/New_York) across midnight',
    opts: { timeZone: 'America/New_York', referenceMs: Date.parse('2026-11-25T06:00:00Z') },
  },
];

describe('log times placed on their true UTC minute', () => {
  for (const c of CASES) {
    it(`puts every response of ${c.what} on the minute tshark gives it`, async () => {
      // Prepare
      const truth = truthOf(c.fixture);

      // Act
      const r = await scanFixture(c.fixture, c.opts);

      // Assess
      expect(perMinute(r)).toEqual(truth);
      expect(r.timedResponses).toBe(r.responses);
      expect(r.unrecognizedBytes).toBe(0);
      expect(r.anomalies).toEqual({});
    });
  }

  it('gives a time of day the latest date not after the reference instant', async () => {
    // Prepare: the same tcpdump text, stored a day later
    const truth = truthOf('tcpdump-A-midnight-new-york.txt.gz');
    const dayAfter = Object.fromEntries(
      Object.entries(truth).map(([m, v]) => [new Date(Date.parse(m) + 86_400_000).toISOString(), v]),
    );

    // Act
    const r = await scanFixture('tcpdump-A-midnight-new-york.txt.gz', {
      timeZone: 'America/New_York',
      referenceMs: Date.parse('2026-11-26T06:00:00Z'),
    });

    // Assess
    expect(perMinute(r)).toEqual(dayAfter);
  });

  it('gives the same minutes however the input is cut (prefixes, lines and gzip members straddling chunks)', async () => {
    // Prepare
    const plain = gunzipSync(readFixture('time/asterisk-full-new-year-berlin.log.gz'));
    const opts = CASES[0]?.opts ?? {};
    const whole = await scan(chunked(plain, []), opts);
    const cutLists = Array.from({ length: 12 }, (_, i) => [
      (i * 7919 + 13) % plain.length,
      (i * 104_729 + 1) % plain.length,
      (i * 15_485_863 + 2) % plain.length,
    ]);

    // Act
    const results = await Promise.all(cutLists.map((cuts) => scan(chunked(plain, cuts), opts)));

    // Assess
    for (const r of results) expect(r).toEqual(whole);
  });

  it('leaves times without a date untimed when no reference instant is given', async () => {
    // Act
    const r = await scanFixture('freeswitch-siptrace-midnight-berlin.log.gz', { timeZone: 'Europe/Berlin' });

    // Assess
    expect(r.responses).toBe(500);
    expect(r.timedResponses).toBe(0);
    expect(r.series).toEqual([]);
  });
});

describe('the SIP Date header as the time of messages a log prints none for', () => {
  const response = (date: string): string =>
    `SIP/2.0 503 Service Unavailable\r\nCall-ID: d1\r\nCSeq: 1 INVITE\r\n${date}Content-Length: 0\r\n\r\n`;

  it('times a bare message by its Date header (RFC 3261 §20.17, GMT) and leaves one without a readable Date untimed', async () => {
    // Prepare
    const log = [
      response('Date: Sat, 13 Nov 2010 23:29:00 GMT\r\n'),
      response('Date: 13/11/2010 23:31\r\n'),
      response(''),
    ].join('');

    // Act
    const r = await scan(chunked(Buffer.from(log, 'latin1'), []), { timeZone: 'Europe/Berlin' });

    // Assess: the zone does not apply to a GMT date
    expect([r.responses, r.timedResponses]).toEqual([3, 1]);
    expect(r.series.map((m) => [m.minute, m.byCode])).toEqual([['2010-11-13T23:29:00.000Z', { '503': 1 }]]);
  });

  it('prefers the time the log printed over the Date header', async () => {
    // Prepare: SIPp prints its local time; the message says another
    const log =
      '----------------------------------------------- 2026-11-24 13:39:45.021904\r\n' +
      'UDP message received [120] bytes :\r\n\r\n' +
      response('Date: Sat, 13 Nov 2010 23:29:00 GMT\r\n');

    // Act
    const r = await scan(chunked(Buffer.from(log, 'latin1'), []), { timeZone: 'Europe/Berlin' });

    // Assess
    expect(r.series.map((m) => m.minute)).toEqual(['2026-11-24T12:39:00.000Z']);
  });
});

describe('dated local times read in the zone', () => {
  it('reads SIPp local times (shared corpus) in Europe/Berlin: an hour earlier in UTC than in UTC', async () => {
    // Prepare
    const log = readFileSync(`${CORPUS_DIR}sipp-uac-cancel-tcp.messages.log`);

    // Act
    const utc = await scan(chunked(log, []), {});
    const berlin = await scan(chunked(log, []), { timeZone: 'Europe/Berlin' });

    // Assess
    expect(utc.series.map((m) => [m.minute, m.byClass])).toEqual(
      berlin.series.map((m) => [new Date(Date.parse(m.minute) + 3_600_000).toISOString(), m.byClass]),
    );
    expect(berlin.series.map((m) => m.minute)).toEqual(['2026-11-24T12:39:00.000Z']);
    expect(berlin.timedResponses).toBe(160);
  });
});

describe("Asterisk's default full log: the prefix only above each block, no year", () => {
  it('dates "[Nov 24 13:39:27]" by the reference instant and reads it in the zone', async () => {
    // Prepare: the chan_sip full-log fixture with logger.c's default dateformat "%b %e %T"
    const log = readFixture('text/chan-sip-full.log')
      .toString('latin1')
      .replace(/^\[2026-11-24 (\d{2}:\d{2}:\d{2})\.\d{3}\]/gm, '[Nov 24 $1]');

    // Act
    const r = await scan(chunked(Buffer.from(log, 'latin1'), []), {
      timeZone: 'Europe/Berlin',
      referenceMs: Date.parse('2027-01-02T00:00:00Z'),
    });

    // Assess: the latest Nov 24 not after the reference is in 2026; 13:39 in Berlin is 12:39 UTC
    expect([r.responses, r.timedResponses]).toEqual([7, 7]);
    expect(r.series.map((m) => m.minute)).toEqual(['2026-11-24T12:39:00.000Z']);
  });
});

describe('syslog times without a year, the reference instant in a changed hour', () => {
  it.each([
    [
      'syslog-noyear-autumn-berlin.log',
      { timeZone: 'Europe/Berlin', referenceMs: Date.parse('2026-10-25T01:06:00Z') },
      ['2026-10-25T00:58:00.000Z', '2026-10-25T01:00:00.000Z'],
    ],
    [
      'syslog-noyear-autumn-lord-howe.log',
      { timeZone: 'Australia/Lord_Howe', referenceMs: Date.parse('2027-04-03T15:10:00Z') },
      ['2027-04-03T14:58:00.000Z', '2027-04-03T15:00:00.000Z'],
    ],
    [
      'syslog-noyear-spring-berlin.log',
      { timeZone: 'Europe/Berlin', referenceMs: Date.parse('2027-03-28T00:59:00Z') },
      ['2027-03-28T00:59:00.000Z', '2027-03-28T01:00:00.000Z'],
    ],
  ])('puts %s in the reference instant’s year', async (fixture, opts, minutes) => {
    // Prepare: before, the year was chosen by wall times, and the reference's second pass read as before the first
    const log = readFixture(`time/${fixture}`);

    // Act
    const got = await scan(chunked(log, []), opts);

    // Assess
    expect(got.series.map((m) => m.minute)).toEqual(minutes);
  });
});
