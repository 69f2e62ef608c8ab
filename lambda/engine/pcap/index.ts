import type { SipFramer } from '../sip-framer.js';
import type { Tally } from '../tally.js';
import { type CaptureStats, PacketDecoder } from './packet-decoder.js';
import { PcapLayout } from './pcap.js';
import { PcapVariantProbe } from './pcap-variant.js';
import { PcapngLayout } from './pcapng.js';
import { RecordSplitter } from './record-splitter.js';

export type { CaptureStats } from './packet-decoder.js';

/** Push parser over a packet capture: feed it bytes in any chunking, then end(). */
export interface CaptureReader {
  feed(chunk: Buffer): void;
  end(): void;
  /** What the capture held besides SIP (packets, non-IP frames, ...), updated as it is read. */
  readonly stats: Readonly<CaptureStats>;
}

/**
 * Reads a libpcap or pcapng capture (already decompressed) and counts the SIP it carries through
 * `framer`. Holds at most one partial record between chunks; a file cut short counts
 * 'truncated-capture', a file whose record structure breaks counts 'corrupt-capture' and the rest
 * of it is skipped.
 */
export const createCaptureReader = (format: 'pcap' | 'pcapng', framer: SipFramer, tally: Tally): CaptureReader => {
  const decoder = new PacketDecoder(framer, tally);
  const pcap = format === 'pcap' ? new PcapLayout(decoder, tally) : undefined;
  const splitter = new RecordSplitter(pcap ?? new PcapngLayout(decoder, tally));
  // a libpcap file's record header size is guessed from its first records before any is read (pcap-variant.ts)
  const probe =
    pcap === undefined
      ? undefined
      : new PcapVariantProbe(
          (variant) => pcap.useVariant(variant),
          (chunk) => splitter.feed(chunk),
        );
  return {
    stats: decoder.stats,
    feed: (chunk: Buffer): void => (probe === undefined ? splitter.feed(chunk) : probe.feed(chunk)),
    end: (): void => {
      probe?.end();
      if (splitter.corrupt) tally.anomaly('corrupt-capture');
      else if (splitter.pendingBytes > 0) tally.anomaly('truncated-capture');
      decoder.end();
    },
  };
};
