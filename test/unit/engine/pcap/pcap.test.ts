import { describe, expect, it } from 'vitest';
import { readFixture, scanWhole } from '../../../support/collect.js';
import {
  countsOf,
  ethernet,
  NO_COUNTS,
  pcapFile,
  readCapture,
  SEND_SIP_FIXTURE_COUNTS,
  udpPacket,
} from '../../../support/pcap-builder.js';
import { response } from '../../../support/sip-samples.js';

const A = '192.0.2.1';
const B = '192.0.2.2';
/** 1700000040000 ms is a minute boundary: 2023-11-14T22:14:00Z. */
const MINUTE_MS = 1_700_000_040_000;
const okPacket = (callId: string): Buffer =>
  ethernet(udpPacket(A, B, 5060, 5060, response(200, 'OK', '1 OPTIONS', callId)));
const ONE_OK = { ...NO_COUNTS, responses: { OPTIONS: { '200': 1 } } };

describe('libpcap files', () => {
  for (const bigEndian of [false, true]) {
    for (const nanoseconds of [false, true]) {
      it(`reads ${bigEndian ? 'big' : 'little'}-endian ${nanoseconds ? 'nanosecond' : 'microsecond'} files to the millisecond`, () => {
        // Prepare: one response a millisecond before a minute boundary, one on it
        const file = pcapFile(
          [
            { data: okPacket('a'), timeMs: MINUTE_MS - 1 },
            { data: okPacket('b'), timeMs: MINUTE_MS },
          ],
          { bigEndian, nanoseconds },
        );

        // Act
        const { result } = readCapture(file);

        // Assess
        expect(countsOf(result)).toEqual({ ...ONE_OK, responses: { OPTIONS: { '200': 2 } } });
        expect(result.series.map((m) => [m.minute, m.byCode])).toEqual([
          ['2023-11-14T22:13:00.000Z', { '200': 1 }],
          ['2023-11-14T22:14:00.000Z', { '200': 1 }],
        ]);
      });
    }
  }

  it('counts the nanosecond tcpdump fixture as tshark does', () => {
    // Prepare
    const file = readFixture('pcap/loopback-ethernet-ns.pcap');

    // Act
    const { result } = readCapture(file);

    // Assess (tshark counts in test/fixtures/pcap/README.md)
    expect(countsOf(result)).toEqual(SEND_SIP_FIXTURE_COUNTS);
    expect(result.series.map((m) => m.minute)).toEqual(['2026-11-24T20:19:00.000Z']);
  });

  it('counts truncated-capture once for a file cut in the middle of a record and keeps the whole records', () => {
    // Prepare
    const whole = pcapFile([{ data: okPacket('a') }, { data: okPacket('b') }]);
    const file = whole.subarray(0, whole.length - 10);

    // Act
    const { result } = readCapture(file);

    // Assess
    expect(countsOf(result)).toEqual({ ...ONE_OK, anomalies: { 'truncated-capture': 1 } });
  });

  it('counts truncated-capture for a file cut inside its file header', () => {
    // Prepare
    const file = pcapFile([{ data: okPacket('a') }]).subarray(0, 20);

    // Act
    const { result } = readCapture(file);

    // Assess
    expect(countsOf(result)).toEqual({ ...ONE_OK, responses: {}, anomalies: { 'truncated-capture': 1 } });
  });

  it('counts truncated-capture for each packet the snaplen cut and still counts the status line it holds', () => {
    // Prepare: 120 bytes of the frame are captured (headers + start of the SIP message)
    const frame = okPacket('a');
    const file = pcapFile([{ data: frame.subarray(0, 120), originalLength: frame.length }, { data: okPacket('b') }]);

    // Act
    const { result } = readCapture(file);

    // Assess
    expect(countsOf(result)).toEqual({
      ...ONE_OK,
      responses: { UNKNOWN: { '200': 1 }, OPTIONS: { '200': 1 } },
      anomalies: { 'truncated-capture': 1, 'missing-cseq': 1 },
    });
  });

  it('stops at a record whose captured length cannot be real and counts corrupt-capture', () => {
    // Prepare: a valid record, then a record header announcing 1 GiB
    const good = pcapFile([{ data: okPacket('a') }]);
    const bogus = Buffer.alloc(16 + 64, 0x41);
    bogus.writeUInt32LE(1 << 30, 8);

    // Act
    const { result } = readCapture(Buffer.concat([good, bogus, pcapFile([{ data: okPacket('b') }]).subarray(24)]));

    // Assess
    expect(countsOf(result)).toEqual({ ...ONE_OK, anomalies: { 'corrupt-capture': 1 } });
  });
});

describe('modified libpcap (magic a1b2cd34)', () => {
  it('reads a capture written by editcap -F modpcap as the plain capture it came from', async () => {
    // Prepare: the same packets; each record header 8 bytes longer (interface index, protocol, packet type).
    // Before, the magic was not known and the file went to the text reader: 3 requests and 82 wrong responses
    // found in the packets' bytes on the corpus's mixed.pcap, no error.
    const modified = readFixture('pcap/crafted-modpcap.pcap');
    const plain = readFixture('text/tcpdump-crafted.pcap');

    // Act
    const fromModified = await scanWhole(modified);
    const fromPlain = await scanWhole(plain);

    // Assess
    expect(modified.readUInt32LE(0)).toBe(0xa1b2cd34);
    expect(fromModified.formats).toEqual(['pcap']);
    expect({ ...fromModified, bytes: 0 }).toEqual({ ...fromPlain, bytes: 0 });
    expect(fromModified.responses).toBe(10);
  });
});
