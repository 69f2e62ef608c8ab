import { describe, expect, it } from 'vitest';
import { scan } from '../../../lambda/engine/index.js';
import type { ScanResult } from '../../../lambda/engine/tally.js';
import { chunked, readFixture } from '../../support/collect.js';
import { readTsharkReading, scanKpis, type TsharkCounts, type TsharkKpis } from '../../support/tshark-counts.js';

/**
 * One Kamailio run's whole-message log lines through the syslog pipelines operators run (test/fixtures/log-pipelines/
 * README.md): RFC 5424 files from rsyslog and syslog-ng, journalctl's `-o short-unix` and `-o short-full`, and the
 * RFC 3164 and ISO files of syslog-ng read before, each against tshark on the capture of the same run.
 */

interface Truth extends TsharkCounts {
  readonly kpis: TsharkKpis;
  readonly responsesPerMinute: Record<string, number>;
}
const TRUTH = readTsharkReading<Truth>('log-pipelines/kamailio-syslog.tshark.json');

const perMinute = (r: ScanResult): Record<string, number> =>
  Object.fromEntries(r.series.map((m) => [m.minute, Object.values(m.byCode).reduce((a, b) => a + b, 0)]));

/** A scan's counts, KPIs, minutes and verdicts against tshark's reading of the run's capture. */
const expectAsTshark = (got: ScanResult, truth: Truth, formats: readonly string[]): void => {
  const { responses, byCode, byMethod } = got;
  expect({ responses, byCode, byMethod }).toEqual({
    responses: truth.responses,
    byCode: truth.byCode,
    byMethod: truth.byMethod,
  });
  expect(scanKpis(got)).toEqual(truth.kpis);
  expect(perMinute(got)).toEqual(truth.responsesPerMinute);
  expect([got.timedResponses, got.anomalies, got.formats]).toEqual([truth.responses, {}, formats]);
};

// the run was in India's time (TZ=Asia/Kolkata for Kamailio and every daemon)
const REFERENCE_MS = Date.parse('2026-12-07T07:00:00Z');
const INDIA = { timeZone: 'Asia/Kolkata', referenceMs: REFERENCE_MS };
const UTC = { timeZone: 'UTC', referenceMs: REFERENCE_MS };

/** Each log, and whether its heads print the instant (an offset or epoch seconds) rather than a local time. */
const LOGS: readonly (readonly [name: string, instant: boolean])[] = [
  // rsyslog RSYSLOG_SyslogProtocol23Format, its default escapes ("#015#012": one line per message)
  ['rsA-p23', true],
  // the same with escaping off: the message's own lines follow the head
  ['rsB-p23', true],
  // syslog-ng file(... flags(syslog-protocol)): structured data "[meta sequenceId=...]", raw lines
  ['sng-5424', true],
  // journalctl -o short-unix: epoch seconds; -o short-full: "Mon 2026-12-07 12:10:48 IST", local
  ['j-short-unix', true],
  ['j-short-full', false],
  // read before: syslog-ng's default (RFC 3164) and ISO dates
  ['sng-3164', false],
  ['sng-iso', true],
  // journalctl -o json and -o json-seq: each entry an object, MESSAGE as byte values (it holds CRs)
  ['j-json', true],
  ['j-json-seq', true],
];

describe('Kamailio logs through syslog pipelines', () => {
  it.each(LOGS)('reads %s as tshark counted the wire, minute by minute', async (name, instant) => {
    // Prepare: before, the RFC 5424 and journalctl short-unix/short-full logs were UNKNOWN_FORMAT
    const log = readFixture(`log-pipelines/kamailio.${name}.log.gz`);
    const json = name.startsWith('j-json');

    // Act
    const got = await scan(chunked(log, [4093]), INDIA);
    const inUtc = await scan(chunked(log, []), UTC);

    // Assess
    expectAsTshark(got, TRUTH, json ? ['gzip', 'json-lines', 'kamailio-log'] : ['gzip', 'kamailio-log']);
    // a head that prints the instant puts each response on its minute whatever zone the scan is told
    if (instant) expect(perMinute(inUtc)).toEqual(TRUTH.responsesPerMinute);
    else expect(perMinute(inUtc)).not.toEqual(TRUTH.responsesPerMinute);
  });

  it("reads Docker's json-file log of Kamailio's stderr as tshark counted the wire, minute by minute", async () => {
    // Prepare: Kamailio -E in a container: each line of its stderr an object with the line and its time; the
    // 17,607-byte header line of the last call's INVITE split into 16 KiB objects without their "\n" (before:
    // UNKNOWN_FORMAT, the JSON escapes hid every line end)
    const truth = readTsharkReading<Truth>('log-pipelines/kamailio-docker.tshark.json');
    const log = readFixture('log-pipelines/kamailio-docker.json.log.gz');

    // Act: in any zone (Docker's times are UTC instants), in any chunking
    const got = await scan(chunked(log, [997]), INDIA);
    const whole = await scan(chunked(log, []), UTC);

    // Assess
    expectAsTshark(got, truth, ['gzip', 'json-lines', 'kamailio-log']);
    expect(perMinute(whole)).toEqual(truth.responsesPerMinute);
  });
});

describe('sipfrag NOTIFYs through syslog pipelines', () => {
  const truth = readTsharkReading<TsharkCounts>('log-pipelines/refer-notify.tshark.json');

  it.each(['refer-notify.sng-5424.log.gz', 'refer-notify.j-export.log.gz'])(
    'reads %s as tshark counted the wire: the 200s, no status line of a body',
    async (file) => {
      // Act: before, journalctl -o export was UNKNOWN_FORMAT (and before that, the bodies' 100s and 503s counted)
      const got = await scan(chunked(readFixture(`log-pipelines/${file}`), [1021]), INDIA);

      // Assess
      const { responses, byCode, byMethod } = got;
      expect({ responses, byCode, byMethod }).toEqual(truth);
    },
  );

  it('gives journalctl -o export the minutes syslog-ng printed in RFC 5424', async () => {
    // Act
    const [exported, rfc5424] = await Promise.all(
      ['refer-notify.j-export.log.gz', 'refer-notify.sng-5424.log.gz'].map((f) =>
        scan(chunked(readFixture(`log-pipelines/${f}`), [4096]), INDIA),
      ),
    );

    // Assess
    expect(exported.series.map((m) => [m.minute, m.byCode])).toEqual([
      ['2026-12-07T06:54:00.000Z', { '200': 4 }],
      ['2026-12-07T06:55:00.000Z', { '200': 20 }],
    ]);
    expect(exported.series).toEqual(rfc5424.series);
  });

  it.each(['refer-notify.rsB-fwd.log.gz', 'refer-notify.sng-syslog-tcp.raw.gz'])(
    'refuses %s (not read) instead of counting the bodies as responses',
    async (file) => {
      // Act: before, 12 or 24 responses (100 and 503 to NOTIFY from the sipfrag bodies, none of the 200s), exit 0
      const outcome = await scan(chunked(readFixture(`log-pipelines/${file}`), []), INDIA).then(
        (r) => ({ responses: r.responses, code: 'none' }),
        (e: unknown) => ({ responses: 0, code: (e as { code?: string }).code ?? String(e) }),
      );

      // Assess
      expect(outcome).toEqual({ responses: 0, code: 'UNKNOWN_FORMAT' });
    },
  );
});
