/**
 * Containers the scan does not open, by their magic numbers: a rotated log compressed with xz, bzip2 or zstd
 * (logrotate's `compresscmd`), an archive, or a capture in another tool's file format (Solaris snoop, Microsoft
 * Network Monitor, Sniffer, HP-UX nettl, ...). None is SIP text, but read as text a capture's SIP payloads still
 * show through, so a snoop file counted 82 of its 1,834 responses with no error. Such a file fails at once with the
 * name of what it is and the command that turns it into something the scan reads. Only gzip is decompressed (zlib
 * is in every Node and every Lambda runtime); only pcap and pcapng are read as captures (what tcpdump, dumpcap,
 * tshark and editcap write, and what editcap converts every other format to).
 */

/** A container the scan does not open, and what to do with it. */
export interface UnreadContainer {
  readonly kind: 'compression' | 'capture';
  readonly name: string;
  /** The command that makes it readable. */
  readonly advice: string;
}

const compressed = (name: string, advice: string): UnreadContainer => ({ kind: 'compression', name, advice });
const capture = (name: string): UnreadContainer => ({
  kind: 'capture',
  name,
  advice: 'editcap -F pcapng IN OUT.pcapng',
});
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

const MAGICS: readonly (readonly [readonly number[], UnreadContainer])[] = [
  [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], compressed('xz', 'xz -d')],
  [[0x42, 0x5a, 0x68], compressed('bzip2', 'bzip2 -d')],
  [[0x28, 0xb5, 0x2f, 0xfd], compressed('zstd', 'zstd -d')],
  [[0x04, 0x22, 0x4d, 0x18], compressed('lz4', 'lz4 -d')],
  [[0x5d, 0x00, 0x00], compressed('lzma', 'xz -d --format=lzma')],
  [[0x50, 0x4b, 0x03, 0x04], compressed('zip', 'unzip')],
  [[0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], compressed('7z', '7z x')],
  [[0x1f, 0x9d], compressed('compress (.Z)', 'uncompress')],
  // capture file formats of other tools (Wireshark's wiretap: snoop.c, netmon.c, ngsniffer.c, netxray.c, nettl.c, btsnoop.c, observer.c, visual.c,
  // 5views.c, lanalyzer.c), as editcap -F writes them
  [ascii('snoop\0\0\0'), capture('Solaris snoop')],
  [ascii('GMBU'), capture('Microsoft Network Monitor 2')],
  [ascii('RTSS'), capture('Microsoft Network Monitor 1')],
  [ascii('TRSNIFF data    \x1a'), capture('Sniffer (DOS)')],
  [[0x54, 0x52, 0x00, 0x64, 0x00], capture('HP-UX nettl')],
  [ascii('btsnoop\0'), capture('btsnoop')],
  [ascii('XCP\0'), capture('Sniffer (Windows)')],
  [ascii('ObserverPktBuffer'), capture('Network Instruments Observer')],
  [ascii('\x05VNF'), capture('Visual Networks')],
  [[0xaa, 0xaa, 0xaa, 0xaa], capture('Accellent 5Views')],
  [[0x01, 0x10, 0x4c, 0x00], capture('Novell LANalyzer')],
];

/** The container the first bytes announce, or undefined for none of these. */
export const unreadContainer = (head: Uint8Array): UnreadContainer | undefined => {
  for (const [magic, what] of MAGICS) {
    if (head.length >= magic.length && magic.every((b, i) => head[i] === b)) return what;
  }
  return undefined;
};

/** What the error says of it. */
export const unreadContainerMessage = (c: UnreadContainer, firstBytes: string): string =>
  c.kind === 'compression'
    ? `${c.name}-compressed input (first bytes ${firstBytes}): only gzip is read; decompress it first (${c.advice}) or compress the log with gzip`
    : `a ${c.name} capture (first bytes ${firstBytes}): only pcap and pcapng captures are read; convert it first (${c.advice})`;
