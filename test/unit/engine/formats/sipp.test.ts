import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { NO_CLASSES, readFixture, replayAtRandomCuts, scanWhole } from '../../../support/collect.js';

/**
 * SIPp `-trace_msg` logs a message its scenario did not expect twice: as every received message, then again after a
 * separator without a time and "Unexpected UDP message received:" (call.cpp process_unexpected). The fixtures are
 * real SIPp 3.6.1 logs of `sipp -sn uac -s 404user -m 5` against a Kamailio 5.6 that answers INVITE with 404 (over
 * UDP and TCP; test/fixtures/text/README.md); tshark on the capture of the same run: 5 INVITE, 5 x 404, 5 ACK.
 */
describe('SIPp -trace_msg with unexpected messages', () => {
  it.each([
    ['sipp-unexpected-udp.messages.log', 0],
    ['sipp-unexpected-tcp.messages.log', 80],
  ])('counts each unexpected response of %s once, as tshark counts the packet', async (name, unrecognized) => {
    // Prepare
    const log = readFixture(`text/${name}`);

    // Act
    const r = await scanWhole(log);

    // Assess: the TCP run also logged SIPp's "Problem EAGAIN" lines (80 bytes), which are not SIP
    expect(log.toString('latin1').match(/^Unexpected (UDP|TCP) message received:/gm)?.length).toBe(5);
    expect(r.formats).toEqual(['sipp']);
    expect(r.responses).toBe(5);
    expect(r.byClass).toEqual({ ...NO_CLASSES, '4xx': 5 });
    expect(r.byMethod).toEqual({ INVITE: { '404': 5 } });
    expect(r.requestsByMethod).toEqual({ ACK: 5, INVITE: 5 });
    expect(r.retransmissions).toEqual({ requests: 0, responses: 0 });
    expect(r.anomalies).toEqual({});
    expect(r.unrecognizedBytes).toBe(unrecognized);
  });

  it('gives the same result however the log is chunked', async () => {
    // Prepare
    const log = readFixture('text/sipp-unexpected-udp.messages.log');

    // Act
    const { whole, differing } = await replayAtRandomCuts(log, 5);

    // Assess
    expect(whole.responses).toBe(5);
    expect(differing).toEqual([]);
  });
});

/**
 * SIPp `-trace_msg` also logs a message that reaches a call which has already ended twice: as every received message,
 * then after a separator without a time and "Dead call <Call-ID> received a UDP message:" (deadcall.cpp
 * process_incoming). The fixture is a real SIPp 3.6.1 UAC log (`sipp -sn uac -m 60 -r 50 -trace_msg` against
 * `sipp -sn uas -lost 20`, UDP on loopback: the UAS's lost messages bring real resends, six of them late 200 OKs to
 * finished calls) and the capture of the same run (tcpdump; README there).
 */
describe('SIPp -trace_msg with messages to dead calls', () => {
  it('counts each response the log echoes for a dead call once, as tshark counts the capture', async () => {
    // Prepare
    const log = gunzipSync(readFixture('text/sipp-deadcall-udp.messages.log.gz'));
    const capture = readFixture('text/sipp-deadcall-udp.pcap.gz');

    // Act
    const fromLog = await scanWhole(log);
    const fromCapture = await scanWhole(capture);

    // Assess: tshark on the capture: 175 responses (53 × 180, 122 × 200), 55 resent requests, 7 resent responses
    expect(log.toString('latin1').match(/^Dead call \S+ received a UDP message:/gm)?.length).toBe(6);
    expect(fromLog.formats).toEqual(['sipp']);
    expect(fromLog.responses).toBe(175);
    expect(fromLog.byMethod).toEqual({ BYE: { '200': 56 }, INVITE: { '180': 53, '200': 66 } });
    expect(fromLog.retransmissions).toEqual({ requests: 55, responses: 7 });
    expect(fromLog.anomalies).toEqual({});
    expect(fromLog.unrecognizedBytes).toBe(0);
    for (const k of ['responses', 'byClass', 'byCode', 'byMethod', 'requestsByMethod', 'retransmissions'] as const) {
      expect({ [k]: fromLog[k] }).toEqual({ [k]: fromCapture[k] });
    }
    // RFC 6076 from tshark's fields: 60 INVITE transactions, 59 answered 200, one still open at the end
    expect(fromLog.kpis.inviteTransactions).toBe(60);
    expect(fromLog.kpis.established).toBe(59);
    expect(fromCapture.kpis.inviteTransactions).toBe(60);
    expect(fromCapture.kpis.established).toBe(59);
  });

  it('gives the same result however the log is chunked', async () => {
    // Prepare
    const log = gunzipSync(readFixture('text/sipp-deadcall-udp.messages.log.gz'));

    // Act
    const { whole, differing } = await replayAtRandomCuts(log, 5);

    // Assess
    expect(whole.responses).toBe(175);
    expect(differing).toEqual([]);
  });
});

/**
 * With `-lost`, SIPp notes each message it drops ("UDP message voluntary lost (while sending).", "UDP message lost
 * (recv).") with no newline, so the next block's separator, time included, starts mid-line. The fixture is the real
 * UAC log of a SIPp 3.6.1 run calling thirteen SIPp UASs that answer 200, 302, 404, 408, 480, 486, 500, 503, 504, 600,
 * 603, 180 then nothing, or 100 then nothing, every SIPp with `-lost 10` (resends, 120 dead-call echoes, 90 glued
 * notes), and the capture of the UAC's port from the same run (README there).
 */
describe('SIPp -trace_msg with -lost notes glued to separators', () => {
  it('counts and times every response the UAC received, as tshark counts its side of the capture', async () => {
    // Prepare
    const log = gunzipSync(readFixture('text/sipp-lossy-codes-uac.messages.log.gz'));
    const capture = readFixture('text/sipp-lossy-codes-uac.pcap.gz');

    // Act
    const fromLog = await scanWhole(log);
    const fromCapture = await scanWhole(capture);

    // Assess: tshark on the capture (udp.port == 25077)
    const text = log.toString('latin1');
    expect(text.match(/message (voluntary lost \(while sending\)|lost \(recv\))\.-{20,} \d{4}-/g)?.length).toBe(90);
    expect(fromLog.formats).toEqual(['sipp']);
    expect(fromLog.responses).toBe(540);
    expect(fromLog.timedResponses).toBe(540);
    expect(fromLog.byCode).toEqual({
      '100': 125,
      '180': 123,
      '200': 69,
      '302': 40,
      '404': 11,
      '408': 10,
      '480': 25,
      '486': 34,
      '500': 17,
      '503': 35,
      '504': 17,
      '600': 17,
      '603': 17,
    });
    expect(fromLog.retransmissions).toEqual({ requests: 28, responses: 142 });
    expect(fromLog.unrecognizedBytes).toBe(0);
    expect(fromLog.anomalies).toEqual({});
    for (const k of ['byClass', 'byCode', 'byMethod', 'requestsByMethod', 'retransmissions'] as const) {
      expect({ [k]: fromLog[k] }).toEqual({ [k]: fromCapture[k] });
    }
    // RFC 6076 from tshark's fields: 136 INVITE transactions, 8 without a final response
    expect(fromLog.kpis.inviteTransactions).toBe(136);
    expect(fromCapture.kpis.inviteTransactions).toBe(136);
    expect(fromLog.kpis.established).toBe(fromCapture.kpis.established);
  });

  it('gives the same result however the log is chunked', async () => {
    // Prepare
    const log = gunzipSync(readFixture('text/sipp-lossy-codes-uac.messages.log.gz'));

    // Act
    const { whole, differing } = await replayAtRandomCuts(log, 5);

    // Assess
    expect(whole.responses).toBe(540);
    expect(differing).toEqual([]);
  });
});

/**
 * SIPp `-trace_shortmsg`: one tab-separated line per message (date, time, epoch, S/R, Call-ID, CSeq, first line).
 * The fixtures are the short and the full log of one SIPp 3.6.1 UAC run (a scenario that waits 1.2 s before its
 * ACK, against a UAS that waits 1.8 s before its 180: real INVITE and 200 retransmissions; README there).
 */
describe('SIPp -trace_shortmsg', () => {
  it('counts each line as one message, retransmissions included, as the full log of the same run', async () => {
    // Prepare
    const short = readFixture('text/sipp-retrans-uac.shortmessages.log');
    const full = readFixture('text/sipp-retrans-uac.messages.log');

    // Act
    const fromShort = await scanWhole(short);
    const fromFull = await scanWhole(full);

    // Assess: tshark on the run's capture, the UAC's side: 12 responses, 6 resent requests, 3 resent responses
    expect(fromShort.formats).toEqual(['sipp']);
    expect(fromShort.responses).toBe(12);
    expect(fromShort.byCode).toEqual({ '180': 3, '200': 9 });
    expect(fromShort.retransmissions).toEqual({ requests: 6, responses: 3 });
    expect(fromShort.timedResponses).toBe(12);
    for (const k of [
      'byMethod',
      'requestsByMethod',
      'retransmittedByClass',
      'anomalies',
      'unrecognizedBytes',
    ] as const) {
      expect({ [k]: fromShort[k] }).toEqual({ [k]: fromFull[k] });
    }
    expect(fromShort.kpis.inviteTransactions).toBe(fromFull.kpis.inviteTransactions);
    expect(fromShort.kpis.established).toBe(fromFull.kpis.established);
  });

  it('reads a row on over the lines of a folded CSeq, as SIPp writes it', async () => {
    // Prepare: real SIPp 3.6 UAC logs whose INFO folds its CSeq (`CSeq: 2` CRLF SP `INFO`): the row goes on to a
    // line that starts with a space. 20 calls each; in the second the UAS never answers the INFO (9 resends each)
    const answered = readFixture('text/sipp-folded-cseq-udp.shortmessages.log');
    const unanswered = readFixture('text/sipp-folded-cseq-info-unanswered.shortmessages.log');

    // Act
    const a = await scanWhole(answered);
    const u = await scanWhole(unanswered);
    const { differing } = await replayAtRandomCuts(answered, 5);

    // Assess: tshark on each run's capture (the UAC's side); before, the folded rows were lost without a word:
    // 120 responses (no INFO 200, no MESSAGE 202) and, in the second, no INFO and none of its 180 resends
    expect(a.byMethod).toEqual({
      BYE: { '200': 20 },
      INFO: { '200': 20 },
      INVITE: { '100': 20, '180': 20, '200': 20 },
      MESSAGE: { '202': 20 },
      NOTIFY: { '200': 20 },
      OPTIONS: { '200': 20 },
    });
    expect(a.requestsByMethod).toEqual({
      ACK: 20,
      BYE: 20,
      INFO: 20,
      INVITE: 20,
      MESSAGE: 20,
      NOTIFY: 20,
      OPTIONS: 20,
    });
    expect(a.anomalies).toEqual({});
    expect(u.byMethod).toEqual({ BYE: { '200': 20 }, OPTIONS: { '200': 20 } });
    expect(u.requestsByMethod).toEqual({ BYE: 20, INFO: 200, OPTIONS: 20 });
    expect(u.retransmissions).toEqual({ requests: 180, responses: 0 });
    expect(differing).toEqual([]);
  });

  it('gives the same result however the short log is chunked', async () => {
    // Prepare
    const short = readFixture('text/sipp-retrans-uac.shortmessages.log');

    // Act
    const { whole, differing } = await replayAtRandomCuts(short, 5);

    // Assess
    expect(whole.responses).toBe(12);
    expect(differing).toEqual([]);
  });
});
