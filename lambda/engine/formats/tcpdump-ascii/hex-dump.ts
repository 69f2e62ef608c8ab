import {
  ETHERTYPE_MPLS,
  ETHERTYPE_PPPOE_SESSION,
  LINKTYPE,
  MPLS_LABEL_BYTES,
  PPPOE_HEADER_BYTES,
} from '../../pcap/link-layer.js';
import { hexDigitValue } from '../line-bytes.js';
import { NEED_MORE } from '../text-format.js';
import { ipv4Bytes, ipv6Bytes } from './address-bytes.js';
import { HT } from './ascii-print.js';
import type { PacketLine } from './summary-line.js';

/**
 * `tcpdump -x`, `-X`, `-xx`, `-XX` (print-ascii.c hex_and_ascii_print_with_offset, hex_print_with_offset): after
 * the summary line, the packet's bytes as lines of
 *   "\t0x%04x:  " + up to eight groups of four hex digits (the last may have two), one space apart
 *   [+ with -X, two spaces or more and the bytes as ASCII]
 * from the IP header on (-x, -X) or from the link-layer header (-xx, -XX). Unlike -A these are the captured bytes
 * themselves, so the packet is decoded as a capture's is (TCP reassembly and all).
 */

const LINE_PREFIX = '\t0x0000:  '.length;
const BYTES_PER_LINE = 16;
/** An IP packet is at most 64 KiB (a jumbogram is not SIP); a longer dump is not one packet. */
const MAX_PACKET_BYTES = 65_535 + 64;

/** The offset a hex line at `p` starts with ("\t0x0010:  " -> 16), or -1 when the line is not one. */
export const hexLineOffset = (buf: Buffer, p: number, end: number): number => {
  if (p + LINE_PREFIX > end || buf[p] !== HT || buf[p + 1] !== 0x30 || buf[p + 2] !== 0x78) return -1;
  let offset = 0;
  for (let i = p + 3; i < p + 7; i++) {
    const v = hexDigitValue(buf[i] ?? 0);
    if (v < 0) return -1;
    offset = offset * 16 + v;
  }
  return buf[p + 7] === 0x3a && buf[p + 8] === 0x20 && buf[p + 9] === 0x20 ? offset : -1;
};

/** Where the dumped bytes go (one packet at a time: the decoder copies what it keeps). */
let packet = Buffer.alloc(4096);

/** The bytes of a hex dump: packet[0, length), and where the line after it starts. */
export interface HexDump {
  readonly bytes: Buffer;
  readonly length: number;
  readonly next: number;
}

/**
 * Reads the hex lines from `p` on (the first must be at offset 0); NEED_MORE when they may go on past `end`, null
 * when they are not a well-formed dump (offsets out of step, a line that is not hex).
 */
export const readHexDump = (buf: Buffer, p: number, end: number, final: boolean): HexDump | typeof NEED_MORE | null => {
  let n = 0;
  let line = p;
  for (;;) {
    const lf = buf.indexOf(0x0a, line);
    if ((lf < 0 || lf >= end) && !final) return NEED_MORE;
    const le = lf < 0 || lf >= end ? end : lf;
    const offset = hexLineOffset(buf, line, le);
    if (offset < 0) break;
    if (offset !== n || n + BYTES_PER_LINE > MAX_PACKET_BYTES) return null;
    if (packet.length < n + BYTES_PER_LINE) {
      const grown = Buffer.alloc(Math.max(2 * packet.length, n + BYTES_PER_LINE));
      packet.copy(grown, 0, 0, n);
      packet = grown;
    }
    let i = line + LINE_PREFIX;
    let got = 0;
    while (got < BYTES_PER_LINE && i + 1 < le) {
      const hi = hexDigitValue(buf[i] ?? 0);
      const lo = hexDigitValue(buf[i + 1] ?? 0);
      if (hi < 0 || lo < 0) break;
      packet[n + got++] = (hi << 4) | lo;
      i += 2;
      // a space ends a group of two bytes; two spaces (or the end) end the hex part
      if (got % 2 === 0) {
        if (buf[i] !== 0x20 || buf[i + 1] === 0x20) break;
        i++;
      }
    }
    // every line but the last holds sixteen bytes
    if (got === 0 || (got < BYTES_PER_LINE && hexLineOffset(buf, le + 1, end) >= 0)) return null;
    n += got;
    line = le + 1;
    if (line >= end) break;
  }
  return n === 0 ? null : { bytes: packet, length: n, next: Math.min(line, end) };
};

/**
 * Whether an IP header of the summary's version, and (when printed as numbers) its addresses, starts at `at`. The
 * addresses decide between link types: an IPv6 version nibble alone also turns up in a MAC address or in the padding
 * of a Linux cooked header (live `tcpdump -i any -XX` leaves bytes there), which put IPv6 packets at the wrong offset.
 */
const ipHeaderAt = (d: HexDump, at: number, s: PacketLine): boolean => {
  const version = (d.bytes[at] ?? 0) >> 4;
  if (at >= d.length || version !== (s.ipv6 ? 6 : 4)) return false;
  const src = s.ipv6 ? ipv6Bytes(s.srcHost) : ipv4Bytes(s.srcHost);
  const dst = s.ipv6 ? ipv6Bytes(s.dstHost) : ipv4Bytes(s.dstHost);
  // where the addresses sit in an IPv4 or IPv6 header, and how long they are
  const [srcAt, dstAt, size] = s.ipv6 ? [8, 24, 16] : [12, 16, 4];
  // the addresses must be in the dump: past its length the buffer holds an earlier packet's bytes (a verdict that
  // then depended on what the process scanned before)
  if ((src !== undefined || dst !== undefined) && at + dstAt + size > d.length) return false;
  for (let i = 0; i < size; i++) {
    if (src !== undefined && d.bytes[at + srcAt + i] !== src[i]) return false;
    if (dst !== undefined && d.bytes[at + dstAt + i] !== dst[i]) return false;
  }
  return true;
};

/** AF_INET (2) or one of the AF_INET6 values (10 Linux, 24 OpenBSD/NetBSD, 28 FreeBSD, 30 macOS), either byte order. */
const NULL_FAMILIES: ReadonlySet<number> = new Set([2, 10, 24, 28, 30]);
const nullFamilyAt = (d: HexDump): boolean =>
  d.length >= 4 && (NULL_FAMILIES.has(d.bytes.readUInt32LE(0)) || NULL_FAMILIES.has(d.bytes.readUInt32BE(0)));

/**
 * The link type to decode the dump as: raw IP when it starts at the IP header (-x, -X), else the link layer -xx
 * and -XX put before it (Ethernet, Linux cooked v1 or v2, by where the IP header the summary names begins);
 * undefined when none fits.
 */
export const dumpLinkType = (d: HexDump, s: PacketLine): number | undefined => {
  if (ipHeaderAt(d, 0, s)) return LINKTYPE.RAW;
  // Ethernet, or Ethernet with one 802.1Q tag, or two (QinQ)
  if (ipHeaderAt(d, 14, s) || ipHeaderAt(d, 18, s) || ipHeaderAt(d, 22, s)) return LINKTYPE.ETHERNET;
  if (ipHeaderAt(d, 16, s)) return LINKTYPE.LINUX_SLL;
  if (ipHeaderAt(d, 20, s)) return LINKTYPE.LINUX_SLL2;
  // DLT_NULL: the 4-byte address family (host byte order) of BSD loopback and of captures converted to it; tried
  // last, as its IP header's place (byte 4) falls inside the MAC addresses of the others
  if (ipHeaderAt(d, 4, s) && nullFamilyAt(d)) return LINKTYPE.NULL;
  return undefined;
};

const MPLS_LABEL = '(label ';
/** The PPPoE session header and the PPP protocol field (2 bytes) before the IP header. */
const PPPOE_BYTES = PPPOE_HEADER_BYTES + 2;
const ETHERNET_HEADER_BYTES = 14;

/** A dump that starts after its Ethernet header, with one naming `etherType` put before it (no addresses). */
const behindEthernetHeader = (etherType: number, dump: Buffer): Buffer => {
  const header = Buffer.alloc(ETHERNET_HEADER_BYTES);
  header.writeUInt16BE(etherType, ETHERNET_HEADER_BYTES - 2);
  return Buffer.concat([header, dump]);
};

/**
 * A dump of a packet behind MPLS labels or a PPPoE session header (its summary "MPLS (label ...) IP ...", "PPPoE
 * [ses 0x...] IP ..."), as a capture's Ethernet frame: with -xx/-XX the Ethernet header is in the dump (the IP header
 * after the labels or the session header); with -x/-X the dump starts at the first label or the session header, and
 * an Ethernet header naming it is put before it. The packet decoder follows both as it does in a capture
 * (pcap/link-layer.ts). Undefined when the summary names neither, or the IP header is not where they put it.
 */
export const encapsulatedFrame = (d: HexDump, s: PacketLine, summary: string): Buffer | undefined => {
  let inner: number;
  let etherType: number;
  const mpls = summary.indexOf('MPLS (label ');
  if (mpls >= 0) {
    let labels = 0;
    for (let at = summary.indexOf(MPLS_LABEL, mpls); at >= 0; at = summary.indexOf(MPLS_LABEL, at + 1)) labels++;
    inner = labels * MPLS_LABEL_BYTES;
    etherType = ETHERTYPE_MPLS;
  } else if (/PPPoE +\[ses 0x/.test(summary)) {
    inner = PPPOE_BYTES;
    etherType = ETHERTYPE_PPPOE_SESSION;
  } else return undefined;
  const dump = d.bytes.subarray(0, d.length);
  if (ipHeaderAt(d, ETHERNET_HEADER_BYTES + inner, s)) return Buffer.from(dump);
  return ipHeaderAt(d, inner, s) ? behindEthernetHeader(etherType, dump) : undefined;
};

/**
 * A dump under -e's Ethernet line (its addresses and EtherType, summary-line.ts parseEtherLine) as a capture's frame,
 * whatever the frame carries (tunnels, MPLS, PPPoE, VLAN tags, which -e prints without "IP"): with -xx/-XX the dump
 * is the frame, its first 14 bytes the line's addresses and EtherType; with -x/-X it starts after the Ethernet header
 * and its VLAN tags: at the first MPLS label or the PPPoE session header (an Ethernet header naming it is put before
 * it), else at the IP header. Undefined when the dump is none of these.
 */
export const etherFrame = (
  d: HexDump,
  addresses: Buffer,
  etherType: number,
): { readonly linkType: number; readonly bytes: Buffer } | undefined => {
  const dump = d.bytes.subarray(0, d.length);
  const wholeFrame =
    d.length >= ETHERNET_HEADER_BYTES &&
    dump.subarray(0, addresses.length).equals(addresses) &&
    dump.readUInt16BE(addresses.length) === etherType;
  if (wholeFrame) return { linkType: LINKTYPE.ETHERNET, bytes: Buffer.from(dump) };
  if (etherType === ETHERTYPE_MPLS || etherType === ETHERTYPE_PPPOE_SESSION) {
    return { linkType: LINKTYPE.ETHERNET, bytes: behindEthernetHeader(etherType, dump) };
  }
  const version = (dump[0] ?? 0) >> 4;
  return version === 4 || version === 6 ? { linkType: LINKTYPE.RAW, bytes: Buffer.from(dump) } : undefined;
};
