/**
 * Link-layer headers: finds where the IP packet starts inside a captured frame. Link types are the
 * LINKTYPE_* values of https://www.tcpdump.org/linktypes.html (what pcap and pcapng files store).
 */

/** The link types this reader understands. */
export const LINKTYPE = {
  NULL: 0,
  ETHERNET: 1,
  /** DLT_RAW on most platforms, stored as-is by old writers (libpcap maps it to 101 today). */
  RAW_DLT12: 12,
  /** DLT_RAW on BSD/OS and OpenBSD. */
  RAW_DLT14: 14,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  /** Linux netfilter log (`tcpdump -i nflog:N`): TLVs, one of which holds the IP packet. */
  NFLOG: 239,
  LINUX_SLL2: 276,
} as const;

const SUPPORTED: ReadonlySet<number> = new Set(Object.values(LINKTYPE));

/** True for a link type whose frames this reader can decode. */
export const isSupportedLinkType = (linkType: number): boolean => SUPPORTED.has(linkType);

/** What a frame carries at the network layer. */
export type NetworkKind = 'ipv4' | 'ipv6' | 'other';

/** Result of `findNetworkLayer`; one object is reused for every packet. */
export interface NetworkLayer {
  kind: NetworkKind;
  /** Offset of the IP header in the frame's buffer. */
  start: number;
}

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
/** IEEE 802.1Q C-tag, 802.1ad S-tag, and the pre-standard QinQ tags some switches still send. */
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_QINQ_OLD1 = 0x9100;
const ETHERTYPE_QINQ_OLD2 = 0x9200;
/** Transparent Ethernet bridging (GRE, Geneve): a whole Ethernet frame follows. */
const ETHERTYPE_TEB = 0x6558;
/** MPLS unicast and multicast (RFC 3032). */
export const ETHERTYPE_MPLS = 0x8847;
const ETHERTYPE_MPLS_MULTICAST = 0x8848;
/** PPPoE session stage (RFC 2516 §4): 6-byte header, then a PPP protocol field. */
export const ETHERTYPE_PPPOE_SESSION = 0x8864;
export const PPPOE_HEADER_BYTES = 6;
/** PPP protocol numbers of IPv4 and IPv6 (RFC 1332, RFC 5072). */
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;
export const MPLS_LABEL_BYTES = 4;
/** Deeper label stacks than this are not real traffic. */
const MAX_MPLS_LABELS = 16;
/** IEEE 802.3: a type/length field up to 1500 is a length, and an 802.2 LLC header follows. */
const MAX_8023_LENGTH = 1500;
const MIN_ETHERTYPE = 0x0600;
const ETHERNET_HEADER_BYTES = 14;
const VLAN_TAG_BYTES = 4;
/** More stacked tags and headers than this is not a real frame. */
const MAX_VLAN_TAGS = 16;
const SLL_HEADER_BYTES = 16;
const SLL2_HEADER_BYTES = 20;
const NULL_HEADER_BYTES = 4;
/** NFLOG: address family, version and resource id; then TLVs of a 16-bit length (header included) and type. */
const NFLOG_HEADER_BYTES = 4;
const NFLOG_TLV_HEADER_BYTES = 4;
/** The TLV that holds the packet (NFULA_PAYLOAD, linux/netfilter/nfnetlink_log.h). */
const NFULA_PAYLOAD = 9;

/**
 * Address family values in DLT_NULL / DLT_LOOP headers: AF_INET is 2 everywhere; AF_INET6 differs
 * per OS (Linux 10, the BSDs 24, FreeBSD 28, Darwin 30), as Wireshark's packet-null.c lists.
 */
const AF_INET = 2;
const AF_INET6: ReadonlySet<number> = new Set([10, 24, 28, 30]);

/** Fills `out` with the network layer of one frame [start, end); `kind` is 'other' for anything not IP. */
export const findNetworkLayer = (
  linkType: number,
  buf: Buffer,
  start: number,
  end: number,
  out: NetworkLayer,
): void => {
  out.kind = 'other';
  out.start = start;
  switch (linkType) {
    case LINKTYPE.ETHERNET:
      if (end - start < ETHERNET_HEADER_BYTES) return;
      etherType(buf.readUInt16BE(start + 12), buf, start + ETHERNET_HEADER_BYTES, end, out);
      return;
    case LINKTYPE.LINUX_SLL:
      // SLL (v1): packet type, ARPHRD type, address length, 8 address bytes, protocol (an EtherType)
      if (end - start < SLL_HEADER_BYTES) return;
      etherType(buf.readUInt16BE(start + 14), buf, start + SLL_HEADER_BYTES, end, out);
      return;
    case LINKTYPE.LINUX_SLL2:
      // SLL2: protocol (an EtherType) first, then reserved, ifindex, ARPHRD, packet type, address
      if (end - start < SLL2_HEADER_BYTES) return;
      etherType(buf.readUInt16BE(start), buf, start + SLL2_HEADER_BYTES, end, out);
      return;
    case LINKTYPE.NULL: {
      if (end - start < NULL_HEADER_BYTES) return;
      // the family is in the capturing host's byte order, which the file does not record:
      // a value with its high half set was written big-endian (the trick of Wireshark's packet-null.c)
      let family = buf.readUInt32LE(start);
      if ((family & 0xffff0000) !== 0) family = buf.readUInt32BE(start);
      addressFamily(family, start + NULL_HEADER_BYTES, out);
      return;
    }
    case LINKTYPE.LOOP:
      // DLT_LOOP: like DLT_NULL but always in network byte order
      if (end - start < NULL_HEADER_BYTES) return;
      addressFamily(buf.readUInt32BE(start), start + NULL_HEADER_BYTES, out);
      return;
    case LINKTYPE.RAW:
    case LINKTYPE.RAW_DLT12:
    case LINKTYPE.RAW_DLT14:
      byVersion(buf, start, end, out);
      return;
    case LINKTYPE.IPV4:
      out.kind = 'ipv4';
      return;
    case LINKTYPE.IPV6:
      out.kind = 'ipv6';
      return;
    case LINKTYPE.NFLOG:
      // the TLVs' length and type are in the capturing host's byte order (the file does not say which): the
      // order whose TLVs chain to a payload is the one (Wireshark's packet-nflog.c guesses likewise)
      if (!nflogPayload(buf, start, end, true, out)) nflogPayload(buf, start, end, false, out);
      return;
    default:
      return;
  }
};

/** Finds NFLOG's NFULA_PAYLOAD TLV, its lengths read in one byte order; false when the TLVs do not chain to it. */
const nflogPayload = (buf: Buffer, start: number, end: number, littleEndian: boolean, out: NetworkLayer): boolean => {
  let p = start + NFLOG_HEADER_BYTES;
  while (p + NFLOG_TLV_HEADER_BYTES <= end) {
    const length = littleEndian ? buf.readUInt16LE(p) : buf.readUInt16BE(p);
    // the high bits of the type are netlink's nested and byte-order flags
    const type = (littleEndian ? buf.readUInt16LE(p + 2) : buf.readUInt16BE(p + 2)) & 0x3fff;
    if (length < NFLOG_TLV_HEADER_BYTES) return false;
    if (type === NFULA_PAYLOAD) {
      // the snaplen may have cut the packet: the IP decoder reports that
      out.start = p + NFLOG_TLV_HEADER_BYTES;
      byVersion(buf, out.start, end, out);
      return true;
    }
    // each TLV is padded to four bytes
    p += (length + 3) & ~3;
  }
  return false;
};

/**
 * Follows an EtherType, through VLAN tags (802.1Q, 802.1ad QinQ), an LLC/SNAP header, MPLS label
 * stacks, PPPoE sessions and bridged Ethernet frames (TEB), to the IP packet they carry.
 */
export const followEtherType = (type: number, buf: Buffer, pos: number, end: number, out: NetworkLayer): void =>
  etherType(type, buf, pos, end, out);

const etherType = (type: number, buf: Buffer, pos: number, end: number, out: NetworkLayer): void => {
  let t = type;
  let p = pos;
  for (let tags = 0; tags <= MAX_VLAN_TAGS; tags++) {
    if (t === ETHERTYPE_IPV4) {
      out.kind = 'ipv4';
      out.start = p;
      return;
    }
    if (t === ETHERTYPE_IPV6) {
      out.kind = 'ipv6';
      out.start = p;
      return;
    }
    if (t === ETHERTYPE_VLAN || t === ETHERTYPE_QINQ || t === ETHERTYPE_QINQ_OLD1 || t === ETHERTYPE_QINQ_OLD2) {
      // the tag is TCI (2) + the next EtherType (2)
      if (end - p < VLAN_TAG_BYTES) return;
      t = buf.readUInt16BE(p + 2);
      p += VLAN_TAG_BYTES;
      continue;
    }
    if (t === ETHERTYPE_TEB) {
      if (end - p < ETHERNET_HEADER_BYTES) return;
      t = buf.readUInt16BE(p + 12);
      p += ETHERNET_HEADER_BYTES;
      continue;
    }
    if (t === ETHERTYPE_MPLS || t === ETHERTYPE_MPLS_MULTICAST) {
      p = skipMplsLabels(buf, p, end);
      if (p < 0 || p >= end) return;
      // RFC 3032 §2.2 leaves the payload's type implicit: guess IP by the first nibble as Wireshark
      // does; Ethernet pseudowires (with or without a control word) are left out, since tshark's
      // own guess between the two is a heuristic we would not match exactly
      const nibble = (buf[p] ?? 0) >> 4;
      if (nibble === 4) t = ETHERTYPE_IPV4;
      else if (nibble === 6) t = ETHERTYPE_IPV6;
      else return;
      continue;
    }
    if (t === ETHERTYPE_PPPOE_SESSION) {
      if (end - p < PPPOE_HEADER_BYTES + 2) return;
      const ppp = buf.readUInt16BE(p + PPPOE_HEADER_BYTES);
      p += PPPOE_HEADER_BYTES + 2;
      if (ppp === PPP_IPV4) t = ETHERTYPE_IPV4;
      else if (ppp === PPP_IPV6) t = ETHERTYPE_IPV6;
      else return;
      continue;
    }
    if (t <= MAX_8023_LENGTH) {
      // 802.2 LLC; only SNAP (AA AA 03, OUI 00 00 00) carries an EtherType (RFC 1042)
      if (end - p < 8 || buf[p] !== 0xaa || buf[p + 1] !== 0xaa || buf[p + 2] !== 0x03) return;
      if (buf[p + 3] !== 0 || buf[p + 4] !== 0 || buf[p + 5] !== 0) return;
      t = buf.readUInt16BE(p + 6);
      p += 8;
      if (t < MIN_ETHERTYPE) return;
      continue;
    }
    return;
  }
};

/** Position after the label whose bottom-of-stack bit is set (RFC 3032 §2.1), or -1. */
const skipMplsLabels = (buf: Buffer, pos: number, end: number): number => {
  let p = pos;
  for (let i = 0; i < MAX_MPLS_LABELS; i++) {
    if (end - p < MPLS_LABEL_BYTES) return -1;
    const bottom = ((buf[p + 2] ?? 0) & 0x01) !== 0;
    p += MPLS_LABEL_BYTES;
    if (bottom) return p;
  }
  return -1;
};

const addressFamily = (family: number, pos: number, out: NetworkLayer): void => {
  if (family === AF_INET) out.kind = 'ipv4';
  else if (AF_INET6.has(family)) out.kind = 'ipv6';
  else return;
  out.start = pos;
};

/** Raw IP: the version nibble of the first byte says which (RFC 791 §3.1, RFC 8200 §3). */
const byVersion = (buf: Buffer, start: number, end: number, out: NetworkLayer): void => {
  if (start >= end) return;
  const version = (buf[start] ?? 0) >> 4;
  if (version === 4) out.kind = 'ipv4';
  else if (version === 6) out.kind = 'ipv6';
};
