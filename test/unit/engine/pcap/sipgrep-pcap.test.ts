import { describe, expect, it } from 'vitest';
import { readFixture, scanWhole } from '../../../support/collect.js';
import { readTsharkReading, type TsharkReading } from '../../../support/tshark-counts.js';

/**
 * Captures sipgrep -O wrote, each record 14 bytes short of its IP packet with nothing saying it was cut
 * (test/fixtures/sipgrep/README.md), and the captures they were made from.
 */
const TRUTH = readTsharkReading<Record<string, TsharkReading>>('sipgrep/tshark.json');

describe('records shorter than their IP packet, not marked cut', () => {
  it.each(['sipgrep-O-tcp', 'sipgrep-O-udp', 'call-tcp', 'call-udp'])('counts %s as tshark does', async (name) => {
    // Act
    const got = await scanWhole(readFixture(`sipgrep/${name}.pcap`));

    // Assess: before, the TCP segments went on in the stream by their IP length (3 responses, 2 requests)
    const { responses, requests, byCode, byMethod, retransmissions } = got;
    expect({ responses, requests, byCode, byMethod, retransmissions }).toEqual(TRUTH[name]);
  });

  it('says what is wrong with the TCP segments: malformed packets, gaps, messages the capture cut', async () => {
    // Act
    const got = await scanWhole(readFixture('sipgrep/sipgrep-O-tcp.pcap'));

    // Assess
    expect(got.anomalies).toEqual({ 'malformed-packet': 5, 'stream-gap': 3, 'stream-cut': 5 });
  });
});
