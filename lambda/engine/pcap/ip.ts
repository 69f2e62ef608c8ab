/**
 * IPv4 (RFC 791) and IPv6 (RFC 8200) headers: where the upper-layer payload is, which protocol it
 * is, and whether the packet is a fragment. Addresses are left in the buffer (offsets only) so that
 * no string is built unless a payload turns out to matter.
 */

/** IANA protocol numbers used here. */
export const IP_PROTOCOL = { ICMP: 1, TCP: 6, UDP: 17, ICMPV6: 58 } as const;

/** A decoded IP header; one object is reused for every packet. */
export interface IpPacket {
  version: 4 | 6;
  /** Upper-layer protocol, after any IPv6 extension headers. */
  protocol: number;
  /** Offset of the source address; the destination follows it (4 or 16 bytes later). */
  addressOffset: number;
  payloadStart: number;
  /** End of the payload, clipped to the captured bytes. */
  payloadEnd: number;
  /** End of the payload as the header announces it (beyond the buffer when the capture cut it). */
  declaredPayloadEnd: number;
  /** The header announces more bytes than were captured. */
  truncated: boolean;
  /** Part of a fragmented datagram (RFC 791 §2.3, RFC 8200 §4.5); atomic fragments are not. */
  isFragment: boolean;
  /** Byte offset of this fragment in the original datagram. */
  fragmentOffset: number;
  moreFragments: boolean;
  fragmentId: number;
}

/** Outcome of decoding one header. */
export type IpDecode = 'ok' | 'malformed' | 'cut';

/** A fresh, reusable result object. */
export const newIpPacket = (): IpPacket => ({
  version: 4,
  protocol: 0,
  addressOffset: 0,
  payloadStart: 0,
  payloadEnd: 0,
  declaredPayloadEnd: 0,
  truncated: false,
  isFragment: false,
  fragmentOffset: 0,
  moreFragments: false,
  fragmentId: 0,
});

const IPV4_MIN_HEADER_BYTES = 20;
export const IPV6_HEADER_BYTES = 40;

/** An IPv4 header's length from its first byte (version 4, IHL of 5 words or more: 'E' to 'O'), 0 for any other byte. */
export const ipv4HeaderBytes = (first: number): number => (first >= 0x45 && first <= 0x4f ? (first & 0x0f) * 4 : 0);
const IPV6_FRAGMENT_HEADER_BYTES = 8;
/** More extension headers than this is a crafted packet, not traffic. */
const MAX_IPV6_EXTENSION_HEADERS = 16;

/** RFC 8200 §4 and the IANA registry: headers whose length is (Hdr Ext Len + 1) * 8. */
const EXT_HOP_BY_HOP = 0;
const EXT_ROUTING = 43;
const EXT_FRAGMENT = 44;
const EXT_AUTH = 51;
const EXT_DEST_OPTIONS = 60;
const EXT_MOBILITY = 135;
const EXT_HIP = 139;
const EXT_SHIM6 = 140;

/** Decodes an IPv4 header at `start`; the frame's captured bytes end at `end`. */
export const decodeIpv4 = (buf: Buffer, start: number, end: number, out: IpPacket): IpDecode => {
  const captured = end - start;
  if (captured < IPV4_MIN_HEADER_BYTES) return captured > 0 ? 'cut' : 'malformed';
  const vihl = buf[start] ?? 0;
  if (vihl >> 4 !== 4) return 'malformed';
  const headerBytes = (vihl & 0x0f) * 4;
  let totalLength = buf.readUInt16BE(start + 2);
  // Linux captures of TSO/GSO packets carry a total length of 0: the frame length is the truth
  if (totalLength === 0) totalLength = captured;
  if (headerBytes < IPV4_MIN_HEADER_BYTES || totalLength < headerBytes) return 'malformed';
  if (captured < headerBytes) return 'cut';
  const flagsOffset = buf.readUInt16BE(start + 6);
  out.version = 4;
  out.protocol = buf[start + 9] ?? 0;
  out.addressOffset = start + 12;
  out.payloadStart = start + headerBytes;
  // a shorter total length than the frame: the rest is link-layer padding (Ethernet's 60-byte minimum)
  out.truncated = totalLength > captured;
  out.declaredPayloadEnd = start + totalLength;
  out.payloadEnd = out.truncated ? end : out.declaredPayloadEnd;
  // RFC 791 §3.1: flags bit 2 = More Fragments; Fragment Offset counts 8-byte units
  out.moreFragments = (flagsOffset & 0x2000) !== 0;
  out.fragmentOffset = (flagsOffset & 0x1fff) * 8;
  out.isFragment = out.moreFragments || out.fragmentOffset !== 0;
  out.fragmentId = buf.readUInt16BE(start + 4);
  return 'ok';
};

/** Decodes an IPv6 header at `start` and walks its extension headers up to the upper layer. */
export const decodeIpv6 = (buf: Buffer, start: number, end: number, out: IpPacket): IpDecode => {
  const captured = end - start;
  if (captured < IPV6_HEADER_BYTES) return captured > 0 ? 'cut' : 'malformed';
  if ((buf[start] ?? 0) >> 4 !== 6) return 'malformed';
  const payloadLength = buf.readUInt16BE(start + 4);
  out.version = 6;
  out.addressOffset = start + 8;
  out.isFragment = false;
  out.fragmentOffset = 0;
  out.moreFragments = false;
  out.fragmentId = 0;
  // RFC 2675: a payload length of 0 means a jumbogram (or a TSO capture): take the frame's length
  const declaredEnd = payloadLength === 0 ? end : start + IPV6_HEADER_BYTES + payloadLength;
  out.truncated = declaredEnd > end;
  out.declaredPayloadEnd = declaredEnd;
  out.payloadEnd = out.truncated ? end : declaredEnd;
  return walkIpv6Extensions(buf, start + IPV6_HEADER_BYTES, buf[start + 6] ?? 0, out);
};

/**
 * Skips IPv6 extension headers from `pos` (RFC 8200 §4.1 order, any order accepted) until an
 * upper-layer header; stops after a Fragment header of a real fragment, whose remaining headers
 * are only readable once the datagram is reassembled.
 */
export const walkIpv6Extensions = (buf: Buffer, pos: number, nextHeader: number, out: IpPacket): IpDecode => {
  let nh = nextHeader;
  let p = pos;
  const end = out.payloadEnd;
  for (let i = 0; i <= MAX_IPV6_EXTENSION_HEADERS; i++) {
    let len: number;
    switch (nh) {
      case EXT_HOP_BY_HOP:
      case EXT_ROUTING:
      case EXT_DEST_OPTIONS:
      case EXT_MOBILITY:
      case EXT_HIP:
      case EXT_SHIM6:
        if (end - p < 8) return out.truncated ? 'cut' : 'malformed';
        len = ((buf[p + 1] ?? 0) + 1) * 8;
        break;
      case EXT_AUTH:
        // RFC 4302 §2.2: AH counts 4-byte units, minus 2
        if (end - p < 8) return out.truncated ? 'cut' : 'malformed';
        len = ((buf[p + 1] ?? 0) + 2) * 4;
        break;
      case EXT_FRAGMENT: {
        if (end - p < IPV6_FRAGMENT_HEADER_BYTES) return out.truncated ? 'cut' : 'malformed';
        const offsetFlags = buf.readUInt16BE(p + 2);
        const fragmentOffset = offsetFlags & 0xfff8;
        const more = (offsetFlags & 1) !== 0;
        nh = buf[p] ?? 0;
        p += IPV6_FRAGMENT_HEADER_BYTES;
        // RFC 6946: an atomic fragment (offset 0, M 0) is a whole packet; read on
        if (fragmentOffset === 0 && !more) continue;
        out.isFragment = true;
        out.fragmentOffset = fragmentOffset;
        out.moreFragments = more;
        out.fragmentId = buf.readUInt32BE(p - 4);
        out.protocol = nh;
        out.payloadStart = p;
        return 'ok';
      }
      default:
        // an upper-layer protocol (or 59, No Next Header, or ESP, whose content is encrypted)
        out.protocol = nh;
        out.payloadStart = p;
        return 'ok';
    }
    if (end - p < len) return out.truncated ? 'cut' : 'malformed';
    nh = buf[p] ?? 0;
    p += len;
  }
  return 'malformed';
};
