/**
 * Variants of the libpcap file format whose record headers are longer than the standard 16 bytes, told apart as
 * Wireshark's wiretap (wiretap/libpcap.c, libpcap_open and libpcap_try) tells them apart, so that a file is cut into
 * records exactly where tshark cuts it:
 *
 * - a1b2c3d4, the standard magic: standard pcap (16-byte record header); Alexey Kuznetsov's 1999-04-17 patch, as in
 *   Red Hat 6.1's tcpdump (`editcap -F rh6_1pcap`: 24 bytes, the standard header then ifindex, protocol, packet type,
 *   pad); Nokia IPSO's tcpdump (`editcap -F nokiapcap`: 20 bytes, 4 unknown bytes after the standard header);
 * - a1b2cd34, the modified magic: the 1999-10-29 patch (`editcap -F modpcap`: 24 bytes, laid out as 1999-04-17's)
 *   and the 1999-09-15 patch, as in SuSE 6.3's tcpdump (`editcap -F suse6_3pcap`: 28 bytes, 4 more of CPU and pad);
 * - a1b23c4d, nanosecond pcap: 16 bytes, nothing to guess;
 * - 1c0001ab and 1c0001ac, Ixia's lcap (software and hardware capture, micro- and nanoseconds): standard records
 *   after a file header of 28 bytes (4 more, the bytes of records that follow), nothing to guess.
 *
 * Nothing in the file says which variant of a magic it is. Wiretap tries each variant of the magic in turn on the
 * first two records: it reads the first record header, skips the captured bytes it announces, reads the second
 * one at the offset the variant's header size gives, and scores both headers (a fraction of a second of a million
 * microseconds or more, a captured length over the link type's maximum or the snapshot length or the original
 * length, an original length over 128 MiB each add one). The first variant scoring 0 wins, else the lowest score,
 * the earlier variant on a tie. A file that ends before the second header scores 0.
 */

/** A libpcap variant: its record header size follows from it. */
export type PcapVariant = 'pcap' | 'nsec' | 'ss990417' | 'nokia' | 'ss991029' | 'ss990915' | 'ixia-sw' | 'ixia-hw';

/** Bytes of each variant's record header (wiretap's pcaprec_hdr, pcaprec_modified_hdr, pcaprec_nokia_hdr, pcaprec_ss990915_hdr). */
export const RECORD_HEADER_BYTES: Readonly<Record<PcapVariant, number>> = {
  pcap: 16,
  nsec: 16,
  ss990417: 24,
  nokia: 20,
  ss991029: 24,
  ss990915: 28,
  'ixia-sw': 16,
  'ixia-hw': 16,
};

/** Whether a variant's fraction of a second counts nanoseconds (else microseconds). */
export const isNanosecondVariant = (v: PcapVariant): boolean => v === 'nsec' || v === 'ixia-hw';

export const MAGIC_MICROS = 0xa1b2c3d4;
export const MAGIC_NANOS = 0xa1b23c4d;
export const MAGIC_MODIFIED = 0xa1b2cd34;
const MAGIC_IXIA_SW = 0x1c0001ab;
const MAGIC_IXIA_HW = 0x1c0001ac;

/** Variants of each magic, in the order wiretap tries them (the first is what an appended capture is read as). */
const VARIANTS_OF_MAGIC: ReadonlyMap<number, readonly PcapVariant[]> = new Map([
  [MAGIC_MICROS, ['pcap', 'ss990417', 'nokia']],
  [MAGIC_MODIFIED, ['ss991029', 'ss990915']],
  [MAGIC_NANOS, ['nsec']],
  [MAGIC_IXIA_SW, ['ixia-sw']],
  [MAGIC_IXIA_HW, ['ixia-hw']],
]);

const FILE_HEADER_BYTES = 24;
/** Ixia's lcap file header: the standard one and the 32-bit length of the records after it. */
const IXIA_FILE_HEADER_BYTES = 28;
const LARGEST_RECORD_HEADER_BYTES = 28;
/** wtap_max_snaplen_for_encap: WTAP_MAX_PACKET_SIZE_STANDARD for every link type the scan decodes. */
const MAX_SNAPLEN = 262_144;
/** Wiretap's bound on a record's original length: larger is taken for a misread header. */
const MAX_ORIGINAL_BYTES = 128 * 1024 * 1024;

/**
 * Bytes the guess may need: the file header, the first record header and its bytes (at most MAX_SNAPLEN, or the
 * first header alone scores), the largest second record header.
 */
export const MAX_GUESS_BYTES = FILE_HEADER_BYTES + 2 * LARGEST_RECORD_HEADER_BYTES + MAX_SNAPLEN;

/** The variants a magic number (read in the file's byte order) may be, or undefined for no libpcap magic. */
export const variantsOfMagic = (magic: number): readonly PcapVariant[] | undefined => VARIANTS_OF_MAGIC.get(magic);

/** Whether `m` (read in either byte order) is a libpcap magic number. */
export const isMagic = (m: number): boolean => VARIANTS_OF_MAGIC.has(m);

/** Bytes of the libpcap file header at `pos` (its magic in either byte order known): Ixia's is 4 longer. */
export const fileHeaderBytesAt = (buf: Buffer, pos: number): number => {
  const le = buf.readUInt32LE(pos);
  const magic = isMagic(le) ? le : buf.readUInt32BE(pos);
  return magic === MAGIC_IXIA_SW || magic === MAGIC_IXIA_HW ? IXIA_FILE_HEADER_BYTES : FILE_HEADER_BYTES;
};

/**
 * Whether the 8 bytes at `pos` begin a libpcap file header: a magic number in either byte order and version 2.4 in
 * that order. Where a record is due, that is a second capture appended with `cat a.pcap b.pcap` (a record whose
 * seconds read as a magic lies in 2055 and would need microseconds of exactly 2.4 too).
 */
export const isFileHeaderAt = (buf: Buffer, pos: number): boolean => {
  const le = isMagic(buf.readUInt32LE(pos));
  if (!le && !isMagic(buf.readUInt32BE(pos))) return false;
  const major = le ? buf.readUInt16LE(pos + 4) : buf.readUInt16BE(pos + 4);
  const minor = le ? buf.readUInt16LE(pos + 6) : buf.readUInt16BE(pos + 6);
  return major === 2 && minor === 4;
};

interface FileFacts {
  readonly littleEndian: boolean;
  readonly snaplen: number;
}

/** Score of the record header at `pos` (wiretap's libpcap_try_header): 0 when it looks right. */
const headerScore = (buf: Buffer, pos: number, f: FileFacts): number => {
  const u32 = (at: number): number => (f.littleEndian ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
  const fraction = u32(pos + 4);
  const capLen = u32(pos + 8);
  const origLen = u32(pos + 12);
  let score = 0;
  if (fraction >= 1_000_000) score++;
  if (capLen > MAX_SNAPLEN) score++;
  if (origLen > MAX_ORIGINAL_BYTES) score++;
  if (capLen > f.snaplen) score++;
  if (capLen > origLen) score++;
  return score;
};

/**
 * Score of reading the file as `variant` (wiretap's libpcap_try), or undefined when more bytes are needed to tell
 * (`final`: there are no more; a header the file ends in the middle of scores 0, as a short read does in wiretap).
 */
const variantScore = (buf: Buffer, variant: PcapVariant, f: FileFacts, final: boolean): number | undefined => {
  const headerBytes = RECORD_HEADER_BYTES[variant];
  const first = FILE_HEADER_BYTES;
  if (buf.length < first + headerBytes) return final ? 0 : undefined;
  const score = headerScore(buf, first, f);
  if (score !== 0) return score;
  const capLen = f.littleEndian ? buf.readUInt32LE(first + 8) : buf.readUInt32BE(first + 8);
  const second = first + headerBytes + capLen;
  if (buf.length < second + headerBytes) return final ? 0 : undefined;
  // another capture's file header there (`cat a.pcap b.pcap`, which wiretap does not read at all): this variant
  // cut the first record right
  if (isFileHeaderAt(buf, second)) return 0;
  return headerScore(buf, second, f);
};

/**
 * The variant of the libpcap file that begins `buf` (its file header whole), or undefined while more of the file
 * is needed to tell. With `final` (the whole file is in `buf`) it always answers.
 */
export const guessPcapVariant = (buf: Buffer, final: boolean): PcapVariant | undefined => {
  if (buf.length < FILE_HEADER_BYTES) return final ? 'pcap' : undefined;
  const le = variantsOfMagic(buf.readUInt32LE(0));
  const variants = le ?? variantsOfMagic(buf.readUInt32BE(0));
  if (variants === undefined) return 'pcap'; // not libpcap: the file header reader reports it
  if (variants.length === 1) return variants[0];
  const littleEndian = le !== undefined;
  const facts = { littleEndian, snaplen: littleEndian ? buf.readUInt32LE(16) : buf.readUInt32BE(16) };
  let best: PcapVariant | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const variant of variants) {
    const score = variantScore(buf, variant, facts, final);
    if (score === undefined) return undefined;
    if (score === 0) return variant;
    if (score < bestScore) {
      best = variant;
      bestScore = score;
    }
  }
  return best;
};

/**
 * Holds the first bytes of a libpcap stream until its variant can be told (at most MAX_GUESS_BYTES, one copy), then
 * hands them on; every later chunk passes straight through.
 */
export class PcapVariantProbe {
  private held: Buffer = Buffer.alloc(0);
  private heldBytes = 0;
  private known = false;

  constructor(
    private readonly onVariant: (variant: PcapVariant) => void,
    private readonly pass: (chunk: Buffer) => void,
  ) {}

  feed(chunk: Buffer): void {
    if (this.known) {
      this.pass(chunk);
      return;
    }
    // copied: the caller may reuse the chunk once this returns; grown by doubling, so tiny chunks cost no more
    if (this.held.length < this.heldBytes + chunk.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.heldBytes + chunk.length, this.held.length * 2, 1024));
      this.held.copy(grown, 0, 0, this.heldBytes);
      this.held = grown;
    }
    this.heldBytes += chunk.copy(this.held, this.heldBytes);
    this.decide(this.heldBytes >= MAX_GUESS_BYTES);
  }

  /** The end of the input: a file too short to tell is guessed on what it holds. */
  end(): void {
    if (!this.known) this.decide(true);
  }

  private decide(final: boolean): void {
    const head = this.held.subarray(0, this.heldBytes);
    const variant = guessPcapVariant(head, final);
    if (variant === undefined) return;
    this.known = true;
    this.held = Buffer.alloc(0);
    this.onVariant(variant);
    if (head.length > 0) this.pass(head);
  }
}
