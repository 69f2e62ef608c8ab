import { describe, expect, it } from 'vitest';
import { readFixture, scanWhole } from '../../../support/collect.js';
import { readTsharkReading, type TsharkReading } from '../../../support/tshark-counts.js';

/**
 * sipgrep's text (test/fixtures/sipgrep/README.md): ngrep's byline dump with a line between each header and its
 * payload (empty for UDP, the TCP flags for TCP), colours inside the lines by default, `U(17)` headers with -N.
 */
const TRUTH = readTsharkReading<Record<string, TsharkReading>>('sipgrep/tshark.json');

const TEXTS: readonly (readonly [file: string, capture: string])[] = [
  // SIPp through a Kamailio proxy, UDP and TCP, retransmissions, a NOTIFY with a sipfrag 503 body; -C and colours
  ['proxied-kamailio.sipgrep-C.txt.gz', 'proxied-kamailio'],
  ['proxied-kamailio.sipgrep.txt.gz', 'proxied-kamailio'],
  // lo at MTU 1500: IP fragments and TCP segments that sipgrep reassembles (and with -a does not)
  ['mtu1500.sipgrep-C.txt.gz', 'mtu1500'],
  ['mtu1500.sipgrep-C-a.txt.gz', 'mtu1500'],
  // one call over UDP (and a NOTIFY whose sipfrag body is a 503) and one over TCP: colours, and -C -e -N's U(17)
  ['call-udp.sipgrep.txt', 'call-udp'],
  ['call-udp.sipgrep-C-N.txt', 'call-udp'],
  ['call-tcp.sipgrep.txt', 'call-tcp'],
  ['call-tcp.sipgrep-C-N.txt', 'call-tcp'],
];

describe('sipgrep text', () => {
  it.each(TEXTS)('counts %s as tshark counts its capture', async (file, capture) => {
    // Act
    const got = await scanWhole(readFixture(`sipgrep/${file}`));

    // Assess: before, 0 responses (every UDP payload empty, every TCP one garbage); -N read as bare SIP
    const { responses, requests, byCode, byMethod, retransmissions } = got;
    expect({ responses, requests, byCode, byMethod, retransmissions }).toEqual(TRUTH[capture]);
    expect(got.formats.filter((f) => f !== 'gzip')).toEqual(['ngrep']);
  });

  it.each(['proxied-kamailio', 'mtu1500'])('counts the %s capture as tshark does', async (capture) => {
    // Act
    const got = await scanWhole(readFixture(`sipgrep/${capture}.pcap.gz`));

    // Assess
    const { responses, requests, byCode, byMethod, retransmissions } = got;
    expect({ responses, requests, byCode, byMethod, retransmissions }).toEqual(TRUTH[capture]);
  });
});
