/** UDP headers (RFC 768): ports and the payload's bounds. */

/** Bytes of the UDP header. */
export const UDP_HEADER_BYTES = 8;

/** A decoded UDP header; one object is reused for every packet. */
export interface UdpDatagram {
  srcPort: number;
  dstPort: number;
  payloadStart: number;
  payloadEnd: number;
  /** The Length field announces more bytes than were captured. */
  truncated: boolean;
}

/** A fresh, reusable result object. */
export const newUdpDatagram = (): UdpDatagram => ({
  srcPort: 0,
  dstPort: 0,
  payloadStart: 0,
  payloadEnd: 0,
  truncated: false,
});

/**
 * Decodes the UDP header at `start` of an IP payload that ends at `end`. Returns false when no
 * usable header is there (too short, or a Length below the header's own size).
 */
export const decodeUdp = (buf: Buffer, start: number, end: number, out: UdpDatagram): boolean => {
  if (end - start < UDP_HEADER_BYTES) return false;
  let length = buf.readUInt16BE(start + 4);
  // RFC 2675 §4: Length 0 over an IPv6 jumbogram means "use the IP payload length"
  if (length === 0) length = end - start;
  if (length < UDP_HEADER_BYTES) return false;
  out.srcPort = buf.readUInt16BE(start);
  out.dstPort = buf.readUInt16BE(start + 2);
  out.payloadStart = start + UDP_HEADER_BYTES;
  out.truncated = start + length > end;
  out.payloadEnd = out.truncated ? end : start + length;
  return true;
};
