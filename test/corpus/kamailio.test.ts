import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kpiRatios } from '../../lambda/engine/kpis.js';
import { readFixture, replayAtRandomCuts, scanWhole } from '../support/collect.js';
import { type KpiTruthCounts, outcomeCounts } from '../support/kpi-expectations.js';

/**
 * Real traffic through a Kamailio 5.6 stateful proxy (test/fixtures/kamailio/make-fixtures.sh, README there): SIPp
 * callers and callees on 127.0.0.1 with tm retransmissions and a 408 of tm's timer (SIPp -lost), forking to three
 * callees (486, 200, and one tm CANCELs: 487), a callee's 302 and Kamailio's own sl 302/503/404/483, UDP in and TCP
 * out and the other way; the capture, its tcpdump -A and ngrep printings, and Kamailio's own text of the same traffic
 * (xlog of $mb and $snd(buf) on stderr and through rsyslog, sipdump, siptrace HEP3). truth.json holds tshark 4.0's
 * counts of the part of the capture each file holds (tshark-truth.py says which part and why).
 */
interface FileTruth {
  readonly capture: string;
  readonly filter: string;
  readonly responses: number;
  readonly byCode: Readonly<Record<string, number>>;
  readonly retransmissions: number;
  /** For the xlog logs that print the requests Kamailio routed. */
  readonly requests?: number;
}

const dir = 'kamailio';
const truth = JSON.parse(readFixture(`${dir}/truth.json`).toString('utf8')) as Readonly<Record<string, FileTruth>>;
const kpiTruth = (capture: string): KpiTruthCounts =>
  JSON.parse(
    readFileSync(new URL(`../fixtures/${dir}/${capture}.kpi-truth.json`, import.meta.url), 'utf8'),
  ) as KpiTruthCounts;

describe('Kamailio proxy traffic and its text outputs, against tshark on the capture', () => {
  it.each(Object.keys(truth))('%s counts the responses tshark counts in what it holds', async (name) => {
    // Prepare
    const t = truth[name] as FileTruth;

    // Act
    const r = await scanWhole(readFixture(`${dir}/${name}`));

    // Assess
    expect(r.responses).toBe(t.responses);
    expect(r.byCode).toEqual(t.byCode);
    expect(r.retransmissions.responses).toBe(t.retransmissions);
    if (t.requests !== undefined) expect(r.requests).toBe(t.requests);
    expect(r.anomalies).toEqual({});
  });

  it('reads a Kamailio log whose start lines follow its prefix on the same line (0 responses before)', async () => {
    // Act
    const stderr = await scanWhole(readFixture(`${dir}/kamailio-xlog-stderr.log`));
    const local0 = await scanWhole(readFixture(`${dir}/kamailio-xlog-syslog-local0.log`));
    const local1 = await scanWhole(readFixture(`${dir}/kamailio-xlog-syslog-local1.log`));
    const raw0 = await scanWhole(readFixture(`${dir}/kamailio-xlog-syslog-raw-local0.log`));
    const raw1 = await scanWhole(readFixture(`${dir}/kamailio-xlog-syslog-raw-local1.log`));

    // Assess: received replies ("$mb") and the replies tm relayed ("sending reply to ...: $snd(buf)")
    expect(stderr.formats).toEqual(['kamailio-log']);
    expect(stderr.responses).toBe(61);
    // the requests it logged are those that reached Kamailio: tshark marks 2 of them resent (a UAC's BYE, twice:
    // frames 21 and 36 of kamailio.pcap, 25090 -> 25060); keyed by the whole Via, the 200 Kamailio sent back between
    // a BYE and its re-send shared the BYE's state and hid both
    expect(stderr.retransmissions.requests).toBe(2);
    // rsyslog's default writes each message on one line, its CRLFs as "#015#012"; with escaping off only the first
    // line of a message carries rsyslog's prefix
    expect([local0, local1, raw0, raw1].map((r) => [r.formats, r.responses])).toEqual([
      [['kamailio-log'], 24],
      [['kamailio-log'], 18],
      [['kamailio-log'], 14],
      [['kamailio-log'], 11],
    ]);
    // each message's time is rsyslog's, whether log-prefix.ts cut the prefix (every line has one) or the reader did
    expect([local0, local1, raw0, raw1].map((r) => r.timedResponses)).toEqual([24, 18, 14, 11]);
  });

  it.each(['kamailio-xlog-stderr.log', 'kamailio-xlog-syslog-local0.log', 'kamailio-xlog-syslog-local1.log'])(
    'gives the same result for %s however it is chunked',
    async (name) => {
      // Prepare
      const log = readFixture(`${dir}/${name}`);

      // Act
      const { whole, differing } = await replayAtRandomCuts(log, 6);

      // Assess
      expect(whole.responses).toBe((truth[name] as FileTruth).responses);
      expect(differing).toEqual([]);
    },
  );

  it.each([
    ['kamailio.pcap', 'kamailio.pcap'],
    ['kamailio-sipdump.data', 'kamailio.pcap'],
    ['kamailio-siptrace-hep.pcap', 'kamailio.pcap'],
    ['kamailio.tcpdump-A.txt', 'kamailio.pcap'],
    ['kamailio-syslog.pcap', 'kamailio-syslog.pcap'],
  ])('%s gives the RFC 6076 counts tshark fields give of %s', async (name, capture) => {
    // Prepare
    const t = kpiTruth(capture);

    // Act
    const r = await scanWhole(readFixture(`${dir}/${name}`));

    // Assess: forks are one transaction per branch (own top Via branch), 3xx outcomes leave SER's denominator
    expect({ ...outcomeCounts(r.kpis), open: r.kpis.openTransactions }).toEqual({ ...outcomeCounts(t), open: t.open });
  });

  it('gives SER, SEER, ISA and SCR of the forking and redirecting calls as counted from tshark fields', async () => {
    // Act
    const r = await scanWhole(readFixture(`${dir}/kamailio.pcap`));

    // Assess: 26 INVITE transactions, 3 redirected, 14 established, 16 effective, 2 ineffective (408, 503), 14 completed
    expect(kpiRatios(r.kpis)).toEqual({ ser: 60.87, seer: 69.57, isa: 7.69, scr: 53.85 });
  });
});
