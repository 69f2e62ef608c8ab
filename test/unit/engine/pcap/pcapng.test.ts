import { describe, expect, it } from 'vitest';
import { timestampScale } from '../../../../lambda/engine/pcap/pcapng.js';
import { readFixture } from '../../../support/collect.js';
import {
  countsOf,
  ethernet,
  NO_COUNTS,
  pcapngSection,
  readCapture,
  sll,
  udpPacket,
} from '../../../support/pcap-builder.js';
import { response } from '../../../support/sip-samples.js';

const A = '192.0.2.1';
const B = '192.0.2.2';
/** 1700000040000 ms is a minute boundary: 2023-11-14T22:14:00Z. */
const MINUTE_MS = 1_700_000_040_000;
const ok = (callId: string): Buffer => udpPacket(A, B, 5060, 5060, response(200, 'OK', '1 OPTIONS', callId));

describe('pcapng files', () => {
  it('reads two interfaces with different link types and timestamp resolutions, skipping unknown blocks', () => {
    // Prepare: interface 0 Ethernet in nanoseconds, interface 1 cooked v1 in milliseconds, big-endian
    const file = pcapngSection(
      [
        { linkType: 1, tsresol: 9 },
        { linkType: 113, tsresol: 3 },
      ],
      [
        { data: ethernet(ok('a')), iface: 0, timeMs: MINUTE_MS - 1 },
        { data: sll(ok('b')), iface: 1, timeMs: MINUTE_MS },
        { data: sll(ok('c')), iface: 1, timeMs: MINUTE_MS - 1 },
      ],
      { bigEndian: true, extraBlocks: [[0x40000bad, Buffer.from('custom block')]] },
    );

    // Act
    const { result } = readCapture(file);

    // Assess
    expect(countsOf(result)).toEqual({ ...NO_COUNTS, responses: { OPTIONS: { '200': 3 } } });
    expect(result.series.map((m) => [m.minute, m.byCode])).toEqual([
      ['2023-11-14T22:13:00.000Z', { '200': 2 }],
      ['2023-11-14T22:14:00.000Z', { '200': 1 }],
    ]);
  });

  it('converts timestamps of every if_tsresol to whole milliseconds without rounding below a boundary', () => {
    // Prepare: 2023-11-14T22:14:00.000Z in units of 1 s, 1 ms, 1 us, 1 ns, 100 ps and 2^-10 s
    const cases: readonly (readonly [number, number])[] = [
      [0, 1_700_000_040],
      [3, 1_700_000_040_000],
      [6, 1_700_000_040_000_000],
      [9, 1_700_000_040_000_000_000],
      [10, 17_000_000_400_000_000_000],
      [0x80 | 10, 1_700_000_040 * 1024],
    ];

    // Act
    const ms = cases.map(([tsresol, units]) => {
      const { multiplier, divisor } = timestampScale(tsresol);
      return Math.floor((units * multiplier) / divisor);
    });

    // Assess
    expect(ms).toEqual(cases.map(() => MINUTE_MS));
  });

  it('switches byte order at a new Section Header Block and forgets the old interfaces', () => {
    // Prepare: a little-endian section with Ethernet, then a big-endian one with cooked capture
    const file = Buffer.concat([
      pcapngSection([{ linkType: 1 }], [{ data: ethernet(ok('a')) }]),
      pcapngSection([{ linkType: 113 }], [{ data: sll(ok('b')) }], { bigEndian: true }),
    ]);

    // Act
    const { result } = readCapture(file);

    // Assess
    expect(countsOf(result)).toEqual({ ...NO_COUNTS, responses: { OPTIONS: { '200': 2 } } });
  });

  it('counts Simple Packet Blocks, which carry no timestamp', () => {
    // Prepare
    const file = pcapngSection([{ linkType: 1 }], [{ data: ethernet(ok('a')) }], { simple: true });

    // Act
    const { result } = readCapture(file);

    // Assess
    expect([countsOf(result), result.timedResponses]).toEqual([
      { ...NO_COUNTS, responses: { OPTIONS: { '200': 1 } } },
      0,
    ]);
  });

  it('counts malformed-packet for a packet of an undeclared interface', () => {
    // Prepare
    const file = pcapngSection([{ linkType: 1 }], [{ data: ethernet(ok('a')), iface: 3 }]);

    // Act
    const { result } = readCapture(file);

    // Assess
    expect(countsOf(result)).toEqual({ ...NO_COUNTS, anomalies: { 'malformed-packet': 1 } });
  });

  it('counts truncated-capture for a file cut in the middle of a block', () => {
    // Prepare
    const whole = pcapngSection([{ linkType: 1 }], [{ data: ethernet(ok('a')) }, { data: ethernet(ok('b')) }]);

    // Act
    const { result } = readCapture(whole.subarray(0, whole.length - 7));

    // Assess
    expect(countsOf(result)).toEqual({
      ...NO_COUNTS,
      responses: { OPTIONS: { '200': 1 } },
      anomalies: { 'truncated-capture': 1 },
    });
  });

  it('stops with corrupt-capture when a block trailer disagrees with its header', () => {
    // Prepare
    const file = pcapngSection([{ linkType: 1 }], [{ data: ethernet(ok('a')) }, { data: ethernet(ok('b')) }]);
    file.writeUInt32LE(8, file.length - 4);

    // Act
    const { result } = readCapture(file);

    // Assess
    expect(countsOf(result)).toEqual({
      ...NO_COUNTS,
      responses: { OPTIONS: { '200': 1 } },
      anomalies: { 'corrupt-capture': 1 },
    });
  });

  it('counts the dumpcap fixture of two interfaces as tshark does', () => {
    // Prepare
    const file = readFixture('pcap/two-interfaces.pcapng');

    // Act
    const { result } = readCapture(file);

    // Assess: every packet was captured twice; UDP copies count (and are resends), TCP copies are retransmissions
    expect(countsOf(result)).toEqual({
      requests: { INVITE: 1, OPTIONS: 10 },
      responses: { INVITE: { '180': 1, '200': 1 }, OPTIONS: { '200': 2 } },
      retransmissions: { requests: 4, responses: 1 },
      anomalies: {},
      unrecognizedBytes: 28,
    });
  });
});
