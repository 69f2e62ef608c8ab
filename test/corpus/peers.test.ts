import { createReadStream, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scan } from '../../lambda/engine/index.js';
import { parsePeerMap } from '../../lambda/engine/peers.js';
import type { ClassCounts, ScanResult } from '../../lambda/engine/tally.js';
import { chunked, readFixture } from '../support/collect.js';
import { CORPUS_DIR } from '../support/corpus.js';

/**
 * byPeer against tshark, per sender of each response (the innermost IP source of the frame that
 * carries it), made once on the shared captures and kept in test/fixtures:
 * `tshark -r F -Y sip.Status-Code -T fields -e ip.src -e ipv6.src -e udp.srcport -e tcp.srcport -e sip.Status-Code`
 * (a frame with two responses lists two codes; each counts).
 */
type Truth = Record<string, { byIp: Record<string, ClassCounts>; byEndpoint: Record<string, ClassCounts> }>;
const TRUTH = JSON.parse(
  readFileSync(new URL('../fixtures/peers-by-source.tshark.json', import.meta.url), 'utf8'),
) as Truth;

const classesByPeer = (r: ScanResult): Record<string, ClassCounts> =>
  Object.fromEntries(Object.entries(r.byPeer).map(([peer, c]) => [peer, c.byClass]));

/** The test corpus's roles: the Kamailio proxy, the application server behind it, SIPp's UAS. */
const ROLES = { proxy: ['127.0.0.1:15060', '[::1]:15060'], appserver: ['127.0.0.1:15062'], sipp: ['127.0.0.1:15080'] };

/** tshark's per-endpoint truth folded as the peer map folds it: roles by name, the rest by IP. */
const foldedTruth = (byEndpoint: Record<string, ClassCounts>): Record<string, ClassCounts> => {
  const out: Record<string, ClassCounts> = {};
  for (const [endpoint, counts] of Object.entries(byEndpoint)) {
    const role = Object.entries(ROLES).find(([, eps]) => eps.includes(endpoint))?.[0];
    const key = role ?? endpoint.replace(/^\[(.*)\]:\d+$/, '$1').replace(/^([\d.]+):\d+$/, '$1');
    const into = out[key] ?? { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, '6xx': 0 };
    for (const [c, n] of Object.entries(counts)) into[c as keyof ClassCounts] += n;
    out[key] = into;
  }
  return out;
};

describe('responses by peer on the shared captures', () => {
  for (const file of Object.keys(TRUTH)) {
    it(`keys ${file} by sender IP exactly as tshark's ip.src/ipv6.src`, async () => {
      // Prepare
      const truth = TRUTH[file]?.byIp;

      // Act
      const r = await scan(createReadStream(`${CORPUS_DIR}${file}`, { highWaterMark: 65_537 }));

      // Assess
      expect(classesByPeer(r)).toEqual(truth);
    });

    it(`names the endpoints of ${file} from a peer map (IP:port rules), the rest by IP`, async () => {
      // Prepare
      const peers = parsePeerMap(ROLES);
      if ('problems' in peers) throw new Error(peers.problems.join('; '));

      // Act
      const r = await scan(createReadStream(`${CORPUS_DIR}${file}`), { peers });

      // Assess
      expect(classesByPeer(r)).toEqual(foldedTruth(TRUTH[file]?.byEndpoint ?? {}));
    });
  }

  it('gives the ngrep text of mixed.pcap the same peers as the capture (both directions of every leg)', async () => {
    // Prepare
    const peers = parsePeerMap(ROLES);
    if ('problems' in peers) throw new Error(peers.problems.join('; '));

    // Act
    const text = await scan(createReadStream(`${CORPUS_DIR}mixed.ngrep.txt`), { peers });
    const tcpdump = await scan(createReadStream(`${CORPUS_DIR}mixed.tcpdump-A.txt.gz`), { peers });

    // Assess
    const truth = foldedTruth(TRUTH['mixed.pcap']?.byEndpoint ?? {});
    expect(classesByPeer(text)).toEqual(truth);
    expect(classesByPeer(tcpdump)).toEqual(truth);
  });
});

describe('responses by peer where the bytes move around (test/fixtures/pcap/peer-edges.pcap)', () => {
  const truth = JSON.parse(readFixture('pcap/peer-edges.tshark.json').toString('utf8')) as {
    byIp: Record<string, ClassCounts>;
    resendsByIp: Record<string, number>;
  };

  it('keys IPv6 and IPv4 fragments, TCP segments, a TCP retransmission and a SIP resend by sender as tshark does', async () => {
    // Prepare
    const capture = readFixture('pcap/peer-edges.pcap');

    // Act: whole, and cut into 7-byte chunks so every header and fragment straddles a chunk boundary
    const whole = await scan(chunked(capture, []));
    const cut = await scan(
      chunked(
        capture,
        Array.from({ length: Math.ceil(capture.length / 7) }, (_, i) => i * 7),
      ),
    );

    // Assess
    expect(classesByPeer(whole)).toEqual(truth.byIp);
    expect(classesByPeer(cut)).toEqual(truth.byIp);
    expect(whole.retransmissions.responses).toBe(truth.resendsByIp['198.51.100.60']);
  });
});
