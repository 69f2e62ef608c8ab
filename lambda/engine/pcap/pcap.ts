import type { Tally } from '../tally.js';
import type { CaptureInterface, PacketSink } from './packet-sink.js';
import { MAX_RECORD_BYTES } from './packet-sink.js';
import {
  fileHeaderBytesAt,
  isFileHeaderAt,
  isMagic,
  isNanosecondVariant,
  type PcapVariant,
  RECORD_HEADER_BYTES,
  variantsOfMagic,
} from './pcap-variant.js';
import { CORRUPT, type RecordLayout } from './record-splitter.js';

/**
 * The classic libpcap file format (https://www.tcpdump.org/manpages/pcap-savefile.5.html,
 * draft-ietf-opsawg-pcap §4-5): a 24-byte file header, then records of a 16-byte header and the
 * captured bytes. The magic number tells the byte order of every later field and whether the
 * fractional timestamp counts microseconds (a1b2c3d4) or nanoseconds (a1b23c4d). Variants written by patched
 * tcpdumps (Alexey Kuznetsov's, magic a1b2cd34 or the standard one; Nokia's) add 4 to 12 bytes to each record
 * header after the standard 16, which are skipped: pcap-variant.ts tells which from the first records, as wiretap
 * does, before the first record is read (`useVariant`).
 */

/** Bytes of the file header (Ixia's lcap has 4 more: pcap-variant.ts). */
export const PCAP_FILE_HEADER_BYTES = 24;
/** Bytes of each record header. */
export const PCAP_RECORD_HEADER_BYTES = 16;

/**
 * Whether a record's first four bytes (its seconds, read in either byte order) may be a magic number: the cheap test
 * of the per-record loop, before `isFileHeaderAt` reads more.
 */
const mayBeMagic = (seconds: number): boolean => {
  const high = seconds >>> 16;
  const low = seconds & 0xffff;
  // a1b2xxxx: pcap's magics; 1c00xxxx: Ixia's lcap
  return high === 0xa1b2 || low === 0xb2a1 || high === 0x1c00 || low === 0x001c;
};

/** Record layout of a libpcap file; hands every packet to `sink`. */
export class PcapLayout implements RecordLayout {
  private headerRead = false;
  private littleEndian = true;
  private fractionPerMs = 1000;
  private recordHeaderBytes = PCAP_RECORD_HEADER_BYTES;
  private variant: PcapVariant | undefined;
  private iface: CaptureInterface = { linkType: -1, unsupportedReported: false };

  constructor(
    private readonly sink: PacketSink,
    private readonly tally: Tally,
  ) {}

  /** The variant of the file (pcap-variant.ts guesses it), to be told before its first record is read. */
  useVariant(variant: PcapVariant): void {
    this.variant = variant;
  }

  headerBytes(): number {
    return this.headerRead ? this.recordHeaderBytes : PCAP_FILE_HEADER_BYTES;
  }

  recordLength(buf: Buffer, pos: number): number {
    if (!this.headerRead || isFileHeaderAt(buf, pos)) return fileHeaderBytesAt(buf, pos);
    const capLen = this.littleEndian ? buf.readUInt32LE(pos + 8) : buf.readUInt32BE(pos + 8);
    // a record longer than this is not a packet but a misaligned or damaged file
    if (capLen > MAX_RECORD_BYTES) return CORRUPT;
    return this.recordHeaderBytes + capLen;
  }

  record(buf: Buffer, start: number, end: number): boolean {
    // a file header where a record is due: the next capture of `cat a.pcap b.pcap`, read on with its own byte order,
    // time resolution and link type as if the two had been merged (a record of 24 bytes is told apart as recordLength did)
    if (!this.headerRead || (end - start === fileHeaderBytesAt(buf, start) && isFileHeaderAt(buf, start)))
      return this.fileHeader(buf, start);
    const le = this.littleEndian;
    const seconds = le ? buf.readUInt32LE(start) : buf.readUInt32BE(start);
    const fraction = le ? buf.readUInt32LE(start + 4) : buf.readUInt32BE(start + 4);
    const origLen = le ? buf.readUInt32LE(start + 12) : buf.readUInt32BE(start + 12);
    const timeMs = seconds * 1000 + Math.floor(fraction / this.fractionPerMs);
    this.sink.packet(this.iface, buf, start + this.recordHeaderBytes, end, origLen, timeMs);
    return true;
  }

  /**
   * The packet records of a chunk in one loop: what `recordLength` and `record` do per record,
   * without the splitter's three calls per packet. A record that does not fit, or whose length
   * is corrupt, is left to the splitter.
   */
  recordsInPlace(buf: Buffer, pos: number, end: number): number {
    if (!this.headerRead) return pos;
    const le = this.littleEndian;
    const fractionPerMs = this.fractionPerMs;
    const iface = this.iface;
    const sink = this.sink;
    const headerBytes = this.recordHeaderBytes;
    while (end - pos >= headerBytes) {
      const capLen = le ? buf.readUInt32LE(pos + 8) : buf.readUInt32BE(pos + 8);
      const dataStart = pos + headerBytes;
      if (capLen > MAX_RECORD_BYTES || end - dataStart < capLen) break;
      const seconds = le ? buf.readUInt32LE(pos) : buf.readUInt32BE(pos);
      // another capture's file header (cat a.pcap b.pcap): left to recordLength and record
      if (mayBeMagic(seconds) && isFileHeaderAt(buf, pos)) break;
      const fraction = le ? buf.readUInt32LE(pos + 4) : buf.readUInt32BE(pos + 4);
      const origLen = le ? buf.readUInt32LE(pos + 12) : buf.readUInt32BE(pos + 12);
      const timeMs = seconds * 1000 + Math.floor(fraction / fractionPerMs);
      sink.packet(iface, buf, dataStart, dataStart + capLen, origLen, timeMs);
      pos = dataStart + capLen;
    }
    return pos;
  }

  private fileHeader(buf: Buffer, start: number): boolean {
    const magicLe = buf.readUInt32LE(start);
    const magicBe = buf.readUInt32BE(start);
    if (isMagic(magicLe)) this.littleEndian = true;
    else if (isMagic(magicBe)) this.littleEndian = false;
    else {
      this.tally.anomaly('corrupt-capture');
      return false;
    }
    const magic = this.littleEndian ? magicLe : magicBe;
    // the guessed variant if it fits the magic; a capture appended with cat keeps the variant of the one before it
    // if the magic allows (it was not guessed on its own records), else is read as the magic's first variant
    const variants = variantsOfMagic(magic) ?? ['pcap'];
    if (this.variant === undefined || !variants.includes(this.variant)) this.variant = variants[0] ?? 'pcap';
    this.recordHeaderBytes = RECORD_HEADER_BYTES[this.variant];
    this.fractionPerMs = isNanosecondVariant(this.variant) ? 1_000_000 : 1000;
    const network = this.littleEndian ? buf.readUInt32LE(start + 20) : buf.readUInt32BE(start + 20);
    // draft-ietf-opsawg-pcap §4: the upper bits carry FCS information; the link type is the low 16
    this.iface = { linkType: network & 0xffff, unsupportedReported: false };
    this.headerRead = true;
    return true;
  }
}
