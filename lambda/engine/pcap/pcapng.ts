import type { Tally } from '../tally.js';
import type { CaptureInterface, PacketSink } from './packet-sink.js';
import { MAX_RECORD_BYTES } from './packet-sink.js';
import { CORRUPT, type RecordLayout } from './record-splitter.js';

/**
 * The pcapng format (draft-ietf-opsawg-pcapng, "PCAP Now Generic"): a sequence of blocks, each
 * `type, total length, body, total length`. A Section Header Block starts a section, sets its byte
 * order and forgets the interfaces of the previous section; Interface Description Blocks declare
 * the link type and timestamp resolution of each interface; packets come in Enhanced, Simple or
 * (obsolete) Packet Blocks. Every other block type is skipped by its length (§3.1).
 */

/** Section Header Block type; reads the same in both byte orders (§4.1). */
const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const OPB = 0x00000002;
const SPB = 0x00000003;
const EPB = 0x00000006;
/** Byte-order magic of the SHB, as written by the writer's host (§4.1). */
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** Every block is at least type + length + trailing length (§3.1). */
const MIN_BLOCK_BYTES = 12;
/** The SHB needs its byte-order magic (offset 8) before its length can be read. */
const BLOCK_PREFIX_BYTES = 12;

const OPT_END = 0;
/** if_tsresol (§4.2): a byte; MSB 0 = negative power of 10, MSB 1 = negative power of 2. */
const OPT_IF_TSRESOL = 9;
/** if_tsoffset (§4.2): signed 64-bit seconds added to every timestamp of the interface. */
const OPT_IF_TSOFFSET = 14;

const TWO_POW_32 = 4294967296;
/** Default resolution (§4.2, if_tsresol absent): 10^-6 s. */
const DEFAULT_TSRESOL = 6;

/** Timestamp units to milliseconds: ms = units * multiplier / divisor, each an exact binary number. */
export interface TimestampScale {
  readonly multiplier: number;
  readonly divisor: number;
}

interface PcapngInterface extends CaptureInterface {
  readonly snapLen: number;
  readonly scale: TimestampScale;
  readonly offsetMs: number;
}

/** Record layout of a pcapng file; hands every packet to `sink`. */
export class PcapngLayout implements RecordLayout {
  private littleEndian = true;
  private interfaces: PcapngInterface[] = [];

  constructor(
    private readonly sink: PacketSink,
    private readonly tally: Tally,
  ) {}

  headerBytes(): number {
    return BLOCK_PREFIX_BYTES;
  }

  recordLength(buf: Buffer, pos: number): number {
    if (buf.readUInt32LE(pos) === SHB) {
      // §4.1: the SHB's own length is in the byte order its magic announces
      const magic = buf.readUInt32LE(pos + 8);
      if (magic === BYTE_ORDER_MAGIC) this.littleEndian = true;
      else if (buf.readUInt32BE(pos + 8) === BYTE_ORDER_MAGIC) this.littleEndian = false;
      else return CORRUPT;
    }
    const len = this.u32(buf, pos + 4);
    // §3.1: the total length is a multiple of 4 and covers at least the three fixed fields
    if (len < MIN_BLOCK_BYTES || len % 4 !== 0 || len > MAX_RECORD_BYTES) return CORRUPT;
    return len;
  }

  record(buf: Buffer, start: number, end: number): boolean {
    if (this.u32(buf, end - 4) !== end - start) {
      // the trailing copy of the length disagrees: the block boundaries cannot be trusted
      this.tally.anomaly('corrupt-capture');
      return false;
    }
    const type = this.u32(buf, start);
    const body = start + 8;
    const bodyEnd = end - 4;
    switch (type) {
      case SHB:
        this.interfaces = [];
        break;
      case IDB:
        this.interfaceDescription(buf, body, bodyEnd);
        break;
      case EPB:
        this.enhancedPacket(buf, body, bodyEnd);
        break;
      case SPB:
        this.simplePacket(buf, body, bodyEnd);
        break;
      case OPB:
        this.obsoletePacket(buf, body, bodyEnd);
        break;
      default:
        // Name Resolution, Interface Statistics, Decryption Secrets, custom blocks...: nothing to count
        break;
    }
    return true;
  }

  /**
   * The Enhanced Packet Blocks of a chunk in one loop: what `recordLength`, `record` and
   * `enhancedPacket` do for a well-formed EPB, without the splitter's calls per packet. Any other
   * block, and an EPB that does not fit, is corrupt or malformed, is left to the splitter.
   */
  recordsInPlace(buf: Buffer, pos: number, end: number): number {
    const le = this.littleEndian;
    const interfaces = this.interfaces;
    const sink = this.sink;
    while (end - pos >= BLOCK_PREFIX_BYTES) {
      if ((le ? buf.readUInt32LE(pos) : buf.readUInt32BE(pos)) !== EPB) break;
      const len = le ? buf.readUInt32LE(pos + 4) : buf.readUInt32BE(pos + 4);
      // the splitter reports what is wrong with a short, misaligned, oversized or cut block
      if (len < BLOCK_PREFIX_BYTES + 20 || len % 4 !== 0 || len > MAX_RECORD_BYTES || end - pos < len) break;
      const blockEnd = pos + len;
      if ((le ? buf.readUInt32LE(blockEnd - 4) : buf.readUInt32BE(blockEnd - 4)) !== len) break;
      const body = pos + 8;
      const iface = interfaces[le ? buf.readUInt32LE(body) : buf.readUInt32BE(body)];
      const capLen = le ? buf.readUInt32LE(body + 12) : buf.readUInt32BE(body + 12);
      const data = body + 20;
      if (iface === undefined || data + capLen > blockEnd - 4) break;
      const high = le ? buf.readUInt32LE(body + 4) : buf.readUInt32BE(body + 4);
      const low = le ? buf.readUInt32LE(body + 8) : buf.readUInt32BE(body + 8);
      const units = high * TWO_POW_32 + low;
      const timeMs = Math.floor((units * iface.scale.multiplier) / iface.scale.divisor + iface.offsetMs);
      const origLen = le ? buf.readUInt32LE(body + 16) : buf.readUInt32BE(body + 16);
      sink.packet(iface, buf, data, data + capLen, origLen, timeMs);
      pos = blockEnd;
    }
    return pos;
  }

  private u16(buf: Buffer, pos: number): number {
    return this.littleEndian ? buf.readUInt16LE(pos) : buf.readUInt16BE(pos);
  }

  private u32(buf: Buffer, pos: number): number {
    return this.littleEndian ? buf.readUInt32LE(pos) : buf.readUInt32BE(pos);
  }

  /** §4.2: LinkType (2), reserved (2), SnapLen (4), options. */
  private interfaceDescription(buf: Buffer, body: number, bodyEnd: number): void {
    if (bodyEnd - body < 8) {
      this.tally.anomaly('malformed-packet');
      // keep interface numbering aligned with the file even so
      this.interfaces.push({
        linkType: -1,
        unsupportedReported: true,
        snapLen: 0,
        scale: timestampScale(DEFAULT_TSRESOL),
        offsetMs: 0,
      });
      return;
    }
    const linkType = this.u16(buf, body);
    const snapLen = this.u32(buf, body + 4);
    let scale = timestampScale(DEFAULT_TSRESOL);
    let offsetMs = 0;
    let p = body + 8;
    while (p + 4 <= bodyEnd) {
      const code = this.u16(buf, p);
      const len = this.u16(buf, p + 2);
      const value = p + 4;
      if (code === OPT_END || value + len > bodyEnd) break;
      if (code === OPT_IF_TSRESOL && len >= 1) scale = timestampScale(buf[value] ?? DEFAULT_TSRESOL);
      if (code === OPT_IF_TSOFFSET && len >= 8) {
        const hi = this.littleEndian ? buf.readInt32LE(value + 4) : buf.readInt32BE(value);
        const lo = this.littleEndian ? buf.readUInt32LE(value) : buf.readUInt32BE(value + 4);
        offsetMs = (hi * TWO_POW_32 + lo) * 1000;
      }
      // §3.5: option values are padded to 32 bits
      p = value + ((len + 3) & ~3);
    }
    this.interfaces.push({ linkType, unsupportedReported: false, snapLen, scale, offsetMs });
  }

  /** §4.3: Interface ID, Timestamp (high, low), Captured length, Original length, data, options. */
  private enhancedPacket(buf: Buffer, body: number, bodyEnd: number): void {
    if (bodyEnd - body < 20) {
      this.tally.anomaly('malformed-packet');
      return;
    }
    const iface = this.interfaces[this.u32(buf, body)];
    this.timedPacket(iface, buf, body + 20, bodyEnd, body + 4, this.u32(buf, body + 12), this.u32(buf, body + 16));
  }

  /** Appendix (obsolete Packet Block): Interface ID (2), Drops count (2), then as in the EPB. */
  private obsoletePacket(buf: Buffer, body: number, bodyEnd: number): void {
    if (bodyEnd - body < 20) {
      this.tally.anomaly('malformed-packet');
      return;
    }
    const iface = this.interfaces[this.u16(buf, body)];
    this.timedPacket(iface, buf, body + 20, bodyEnd, body + 4, this.u32(buf, body + 12), this.u32(buf, body + 16));
  }

  private timedPacket(
    iface: PcapngInterface | undefined,
    buf: Buffer,
    data: number,
    bodyEnd: number,
    tsAt: number,
    capLen: number,
    origLen: number,
  ): void {
    if (iface === undefined || data + capLen > bodyEnd) {
      // a packet of an undeclared interface, or a captured length running past its block
      this.tally.anomaly('malformed-packet');
      return;
    }
    const units = this.u32(buf, tsAt) * TWO_POW_32 + this.u32(buf, tsAt + 4);
    const timeMs = Math.floor((units * iface.scale.multiplier) / iface.scale.divisor + iface.offsetMs);
    this.sink.packet(iface, buf, data, data + capLen, origLen, timeMs);
  }

  /** §4.4: Original length, then data; the captured length is what the block and SnapLen allow. */
  private simplePacket(buf: Buffer, body: number, bodyEnd: number): void {
    const iface = this.interfaces[0];
    if (iface === undefined || bodyEnd - body < 4) {
      this.tally.anomaly('malformed-packet');
      return;
    }
    const origLen = this.u32(buf, body);
    let capLen = Math.min(origLen, bodyEnd - body - 4);
    if (iface.snapLen > 0) capLen = Math.min(capLen, iface.snapLen);
    // §4.4: the SPB carries no timestamp
    this.sink.packet(iface, buf, body + 4, body + 4 + capLen, origLen, undefined);
  }
}

/**
 * How to turn units of an if_tsresol byte (§4.2: MSB 0 = 10^-n s, MSB 1 = 2^-n s) into ms without
 * a rounding error that would move a packet on a millisecond boundary into the millisecond before:
 * divide by 10^(n-3) for finer decimal units, else multiply by 1000 / units-per-second (exact for
 * 10^0..10^3 and for every power of two).
 */
export const timestampScale = (tsresol: number): TimestampScale => {
  const n = tsresol & 0x7f;
  if ((tsresol & 0x80) !== 0) return { multiplier: 1000 / 2 ** n, divisor: 1 };
  if (n >= 3) return { multiplier: 1, divisor: 10 ** (n - 3) };
  return { multiplier: 1000 / 10 ** n, divisor: 1 };
};
