import { OTHER_PEER } from '../engine/peers.js';
import type { ScanResult } from '../engine/tally.js';

/** The cardinality guard of the per-peer metrics. */
export interface PeerMetricOptions {
  /** Peers of the peer map: always published, whatever their volume. */
  readonly names: readonly string[];
  /** Other senders published under their own key per file, by volume; the rest are summed as `other`. */
  readonly topN: number;
}

/**
 * The Peer dimension value of each peer of a file: named peers and the `topN` busiest other
 * senders keep their key, every other sender becomes `other` (so a file of 10,000 senders
 * publishes at most names + topN + 1 peers).
 */
export const choosePublishedPeers = (
  byPeer: ScanResult['byPeer'],
  opts: PeerMetricOptions,
): ReadonlyMap<string, string> => {
  const named = new Set(opts.names);
  const others = Object.entries(byPeer)
    .filter(([peer]) => !named.has(peer))
    .sort((a, b) => b[1].responses - a[1].responses || (a[0] < b[0] ? -1 : 1));
  const out = new Map<string, string>();
  for (const peer of Object.keys(byPeer)) if (named.has(peer)) out.set(peer, peer);
  for (const [i, [peer]] of others.entries()) out.set(peer, i < opts.topN ? peer : OTHER_PEER);
  return out;
};
