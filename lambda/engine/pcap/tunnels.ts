/**
 * Tunnels and encapsulations that carry a whole packet inside another: IP-in-IP (RFC 2003, RFC 4213),
 * GRE (RFC 2784/2890) with ERSPAN types I, II and III and transparent Ethernet bridging, VXLAN
 * (RFC 7348, UDP 4789) and Geneve (RFC 8926, UDP 6081). Each finds the inner packet's network layer;
 * the decoder then decodes that packet as if it had been captured alone, so the innermost addresses
 * are the ones reported.
 */

import { followEtherType, type NetworkLayer } from './link-layer.js';

/** IANA protocol numbers of IP-in-IP and GRE. */
export const TUNNEL_PROTOCOL = { IPV4_IN_IP: 4, IPV6_IN_IP: 41, GRE: 47 } as const;

/** IANA UDP ports of the UDP encapsulations read here. */
export const TUNNEL_UDP_PORT = { VXLAN: 4789, GENEVE: 6081 } as const;

/** Tunnels inside tunnels deeper than this are a crafted packet, not traffic. */
export const MAX_TUNNEL_DEPTH = 8;

const ETHERTYPE_TEB = 0x6558;
const ETHERTYPE_ERSPAN_I_II = 0x88be;
const ETHERTYPE_ERSPAN_III = 0x22eb;
const GRE_BASE_BYTES = 4;
const GRE_FLAG_CHECKSUM = 0x8000;
const GRE_FLAG_ROUTING = 0x4000;
const GRE_FLAG_KEY = 0x2000;
const GRE_FLAG_SEQUENCE = 0x1000;
const ERSPAN_II_HEADER_BYTES = 8;
const ERSPAN_III_HEADER_BYTES = 12;
const ERSPAN_III_SUBHEADER_BYTES = 8;
const VXLAN_HEADER_BYTES = 8;
const GENEVE_BASE_BYTES = 8;

/** The inner packet of an IP-in-IP payload [start, end). */
export const ipInIp = (protocol: number, start: number, out: NetworkLayer): void => {
  out.kind = protocol === TUNNEL_PROTOCOL.IPV4_IN_IP ? 'ipv4' : 'ipv6';
  out.start = start;
};

/** The inner packet of a GRE payload [start, end); `kind` is 'other' when GRE carries no IP. */
export const gre = (buf: Buffer, start: number, end: number, out: NetworkLayer): void => {
  out.kind = 'other';
  if (end - start < GRE_BASE_BYTES) return;
  const flags = buf.readUInt16BE(start);
  // version 0 only: version 1 is PPTP's enhanced GRE, which carries PPP, not an EtherType payload
  if ((flags & 0x0007) !== 0 || (flags & GRE_FLAG_ROUTING) !== 0) return;
  const type = buf.readUInt16BE(start + 2);
  let p = start + GRE_BASE_BYTES;
  // RFC 2784 §2.1: checksum + reserved1 (4 bytes) when C is set; RFC 2890: key, then sequence number
  if ((flags & GRE_FLAG_CHECKSUM) !== 0) p += 4;
  if ((flags & GRE_FLAG_KEY) !== 0) p += 4;
  const hasSequence = (flags & GRE_FLAG_SEQUENCE) !== 0;
  if (hasSequence) p += 4;
  if (p > end) return;
  if (type === ETHERTYPE_ERSPAN_I_II) {
    // ERSPAN type I has no sequence number and no ERSPAN header; type II has both (draft-foschiano-erspan §4.1)
    if (hasSequence) p += ERSPAN_II_HEADER_BYTES;
    if (p > end) return;
    followEtherType(ETHERTYPE_TEB, buf, p, end, out);
    return;
  }
  if (type === ETHERTYPE_ERSPAN_III) {
    if (end - p < ERSPAN_III_HEADER_BYTES) return;
    // the O flag (last bit of the header) announces an 8-byte platform-specific subheader
    const optional = ((buf[p + 11] ?? 0) & 0x01) !== 0;
    p += ERSPAN_III_HEADER_BYTES + (optional ? ERSPAN_III_SUBHEADER_BYTES : 0);
    if (p > end) return;
    followEtherType(ETHERTYPE_TEB, buf, p, end, out);
    return;
  }
  followEtherType(type, buf, p, end, out);
};

/** The inner packet of a VXLAN (RFC 7348 §5) or Geneve (RFC 8926 §3.4) UDP payload, by destination port. */
export const udpTunnel = (dstPort: number, buf: Buffer, start: number, end: number, out: NetworkLayer): void => {
  out.kind = 'other';
  if (dstPort === TUNNEL_UDP_PORT.VXLAN) {
    // the I flag (0x08) says the VNI is valid; without it this is not a VXLAN frame
    if (end - start < VXLAN_HEADER_BYTES || ((buf[start] ?? 0) & 0x08) === 0) return;
    followEtherType(ETHERTYPE_TEB, buf, start + VXLAN_HEADER_BYTES, end, out);
    return;
  }
  if (dstPort === TUNNEL_UDP_PORT.GENEVE) {
    if (end - start < GENEVE_BASE_BYTES) return;
    const b0 = buf[start] ?? 0;
    if (b0 >> 6 !== 0) return;
    const p = start + GENEVE_BASE_BYTES + (b0 & 0x3f) * 4;
    if (p > end) return;
    followEtherType(buf.readUInt16BE(start + 2), buf, p, end, out);
  }
};

/** True for a UDP destination port that carries a tunnel this reader opens. */
export const isTunnelPort = (port: number): boolean =>
  port === TUNNEL_UDP_PORT.VXLAN || port === TUNNEL_UDP_PORT.GENEVE;
