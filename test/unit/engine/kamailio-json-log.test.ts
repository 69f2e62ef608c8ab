import { describe, expect, it } from 'vitest';
import { scan } from '../../../lambda/engine/index.js';
import { chunked, readFixture } from '../../support/collect.js';

/** After the runs (2026-12-07 17:18-17:23 UTC, rsyslogd writing UTC times). */
const REFERENCE_MS = Date.parse('2026-12-07T18:00:00Z');

/** Kamailio's JSON log engine in its three shapes (test/fixtures/kamailio-json/README.md). */
describe("Kamailio's JSON log engine", () => {
  // tshark on the run's capture, the messages the proxy received and logged, plus the log's 175 acc records
  const WIRE = { responses: 327, byCode: { '180': 100, '200': 202, '503': 25 } };
  const ACC = { responses: 175, byCode: { '200': 100, '408': 50, '503': 25 } };

  it.each([
    // no time in the object (as on stderr): only the acc records carry theirs
    ['json.log.gz', ['gzip', 'json-lines', 'kamailio-log', 'acc'], ACC.responses],
    // the CEE form's `time`, and syslog's prefix before the object
    ['cee.log.gz', ['gzip', 'json-lines', 'kamailio-log', 'acc'], WIRE.responses + ACC.responses],
    ['syslog-json.log.gz', ['gzip', 'json-lines', 'kamailio-log', 'acc'], WIRE.responses + ACC.responses],
  ])('reads every message %s holds, as tshark counted them on the wire', async (name, formats, timed) => {
    // Prepare
    const bytes = readFixture(`kamailio-json/${name}`);

    // Act: syslog's year-less times are placed by the reference instant, as the command places them by its clock
    const got = await scan(chunked(bytes, [4096, 777]), { timeZone: 'UTC', referenceMs: REFERENCE_MS });

    // Assess
    expect([got.responses, got.requests, got.accountedResponses]).toEqual([
      WIRE.responses + ACC.responses,
      300,
      ACC.responses,
    ]);
    expect(got.byCode).toEqual({ '180': 100, '200': 302, '408': 50, '503': 50 });
    expect(got.byMethod).toEqual({
      BYE: { '200': 100 },
      INVITE: { '180': 100, '200': 200, '408': 50, '503': 50 },
      OPTIONS: { '200': 2 },
    });
    expect([got.retransmissions, got.anomalies, got.formats, got.timedResponses]).toEqual([
      { requests: 0, responses: 0 },
      {},
      formats,
      timed,
    ]);
  });

  it('reads the capture of the first run as tshark does (the truth the logs are held to)', async () => {
    // Prepare
    const bytes = readFixture('kamailio-json/json.pcapng.gz');

    // Act
    const got = await scan(chunked(bytes, [65536]));

    // Assess: tshark -e sip.Status-Code -e sip.CSeq.method -e sip.resend on the whole capture (both legs; the INVITEs
    // to the dead destinations re-sent by tm)
    expect([got.responses, got.requests, got.retransmissions, got.anomalies]).toEqual([
      727,
      1160,
      { requests: 127, responses: 0 },
      {},
    ]);
    expect(got.byMethod).toEqual({
      BYE: { '200': 200 },
      INVITE: { '100': 100, '180': 200, '200': 200, '503': 25 },
      OPTIONS: { '200': 2 },
    });
  });
});
