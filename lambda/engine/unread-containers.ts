/**
 * Containers the scan does not open, by their magic numbers: a rotated log compressed with xz, bzip2 or zstd
 * (logrotate's `compresscmd`), an archive, or a capture in another tool's file format (Solaris snoop, Microsoft
 * Network Monitor, Sniffer, HP-UX nettl, ...; CommView NCF and K12 text, which have no magic number, by what wiretap
 * checks of their first record). None is SIP text, but read as text a capture's SIP payloads still
 * show through, so a snoop file counted 82 of its 1,834 responses with no error. Such a file fails at once with the
 * name of what it is and the command that turns it into something the scan reads. Only gzip is decompressed (zlib
 * is in every Node and every Lambda runtime); only pcap and pcapng are read as captures (what tcpdump, dumpcap,
 * tshark and editcap write, and what editcap converts every other format to).
 */

/** A container the scan does not open, and what to do with it. */
export interface UnreadContainer {
  readonly kind: 'compression' | 'capture' | 'archive';
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
/**
 * A format whose records each name their own link type (wiretap's per-packet encapsulation): editcap 4.0 refuses
 * to write it as pcapng or pcap ("can't be written as a pcapng file") unless -T names one link type for all.
 */
const perPacketCapture = (name: string): UnreadContainer => ({
  kind: 'capture',
  name,
  advice: 'editcap -T ether -F pcapng IN OUT.pcapng; -T names the link type of its frames, ether for Ethernet',
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
  [[0x54, 0x52, 0x00, 0x64, 0x00], perPacketCapture('HP-UX nettl')],
  [ascii('btsnoop\0'), capture('btsnoop')],
  [ascii('XCP\0'), capture('Sniffer (Windows)')],
  [ascii('ObserverPktBuffer'), capture('Network Instruments Observer')],
  [ascii('\x05VNF'), capture('Visual Networks')],
  [[0xaa, 0xaa, 0xaa, 0xaa], capture('Accellent 5Views')],
  [[0x01, 0x10, 0x4c, 0x00], capture('Novell LANalyzer')],
];

/** A little-endian 16-bit year at `i`. */
const yearAt = (h: Uint8Array, i: number): number => (h[i] ?? 0) | ((h[i + 1] ?? 0) << 8);

/** Whether the five bytes at `i` are a month (1-12), day (1-31), hour, minute and second (60: a leap second). */
const isMonthToSecondAt = (h: Uint8Array, i: number): boolean => {
  const month = h[i] ?? 0;
  const day = h[i + 1] ?? 0;
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= 31 &&
    (h[i + 2] ?? 0) <= 23 &&
    (h[i + 3] ?? 0) <= 59 &&
    (h[i + 4] ?? 0) <= 60
  );
};

/** Bytes of a CommView NCF and NCFX record header. */
const NCF_HEADER_BYTES = 24;
const NCFX_HEADER_BYTES = 20;

/**
 * Whether the first bytes are a TamoSoft CommView NCF record header (`editcap -F commview-ncf`), which is all the
 * file begins with: the checks of wiretap's commview_ncf_open, on a header of little-endian fields (data length,
 * source length, version 0, year 1970-2037, month, day, hour, minute, second, microseconds, flags whose low 4 bits
 * say Ethernet, Wi-Fi or Token Ring and whose top bit is clear, signal level in percent). Version 0 at byte 4 is a
 * NUL no text log holds there.
 */
const isCommViewNcf = (h: Uint8Array): boolean => {
  if (h.length < NCF_HEADER_BYTES) return false;
  const year = yearAt(h, 5);
  const flags = h[16] ?? 0;
  return (
    h[4] === 0 &&
    year >= 1970 &&
    year < 2038 &&
    isMonthToSecondAt(h, 7) &&
    (h[17] ?? 0) <= 100 &&
    (flags & 0x80) === 0 &&
    (flags & 0x0f) <= 2
  );
};

/**
 * Whether the first bytes are a CommView NCFX record header (`editcap -F commview-ncfx`), as wiretap's
 * commview_ncfx_open checks it: a 32-bit length, then year (2000 or later), month, day, hour, minute, second,
 * microseconds and a medium byte (0 Ethernet with direction 0-2, 1 Wi-Fi with decryption flag 0-1 and direction 0).
 * Month, day and hour are control characters and the medium a NUL or 01 where text would have them.
 */
const isCommViewNcfx = (h: Uint8Array): boolean => {
  if (h.length < NCFX_HEADER_BYTES) return false;
  const dateOk = yearAt(h, 4) >= 2000 && isMonthToSecondAt(h, 6);
  const medium = h[15] ?? 0;
  const decrypted = h[16] ?? 0;
  const direction = h[17] ?? 0;
  const mediumOk = medium === 0 ? direction <= 2 : medium === 1 && decrypted <= 1 && direction === 0;
  return dateOk && mediumOk;
};

/**
 * A tar archive (`.tar`, or a `.tgz` once inflated): "ustar" at byte 257 of its first member's header, in the POSIX
 * (`ustar\0` `00`) and the GNU (`ustar  \0`) layouts tar writes. Read as text, the captures in it counted 82 of
 * 3,739 responses (their sipfrag bodies' lines), and logs in it ran into each other's 512-byte headers.
 */
const TAR_MAGIC_AT = 257;
const TAR = { kind: 'archive', name: 'tar', advice: 'tar -xf FILE, then scan the folder it makes' } as const;

/** Tektronix K12 text (`editcap -F k12text`): hex dumps of frames, each after this separator line. */
const K12_TEXT_SEPARATOR = ascii('+---------+---------------+----------+');

const startsWith = (head: Uint8Array, magic: readonly number[]): boolean =>
  head.length >= magic.length && magic.every((b, i) => head[i] === b);

/** The container the first bytes announce, or undefined for none of these. */
export const unreadContainer = (head: Uint8Array): UnreadContainer | undefined => {
  for (const [magic, what] of MAGICS) {
    if (startsWith(head, magic)) return what;
  }
  if (startsWith(head.subarray(TAR_MAGIC_AT), ascii('ustar'))) return TAR;
  if (startsWith(head, K12_TEXT_SEPARATOR)) return perPacketCapture('K12 text');
  if (isCommViewNcf(head)) return perPacketCapture('TamoSoft CommView NCF');
  if (isCommViewNcfx(head)) return perPacketCapture('TamoSoft CommView NCFX');
  return undefined;
};

/** What the error says of it. */
export const unreadContainerMessage = (c: UnreadContainer, firstBytes: string): string => {
  if (c.kind === 'compression')
    return `${c.name}-compressed input (first bytes ${firstBytes}): only gzip is read; decompress it first (${c.advice}) or compress the log with gzip`;
  if (c.kind === 'archive')
    return `a ${c.name} archive: archives are not opened, each file in it is an input of its own; ${c.advice}`;
  return `a ${c.name} capture (first bytes ${firstBytes}): only pcap and pcapng captures are read; convert it first (${c.advice})`;
};
