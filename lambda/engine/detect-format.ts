/** What the first bytes of a stream say it is. */
export type Container = 'gzip' | 'pcap' | 'pcapng' | 'hep' | 'text';

/** Bytes needed to tell the containers apart. */
export const SNIFF_BYTES = 4;

/**
 * Magic numbers: gzip 1f 8b (RFC 1952 §2.3.1); libpcap a1b2c3d4 / a1b23c4d (nanosecond) in
 * either byte order, and its variants' a1b2cd34 and Ixia's 1c0001ab / 1c0001ac; pcapng Section Header Block type 0a0d0d0a; "HEP3", a file of raw HEP3
 * packets (the Homer capture protocol). Anything else is read as text.
 */
export const detectContainer = (head: Uint8Array): Container => {
  const [a, b, c, d] = [head[0], head[1], head[2], head[3]];
  if (a === 0x1f && b === 0x8b) return 'gzip';
  if (a === 0x0a && b === 0x0d && c === 0x0d && d === 0x0a) return 'pcapng';
  const le = a === 0xd4 && b === 0xc3 && c === 0xb2 && d === 0xa1;
  const be = a === 0xa1 && b === 0xb2 && c === 0xc3 && d === 0xd4;
  const leNs = a === 0x4d && b === 0x3c && c === 0xb2 && d === 0xa1;
  const beNs = a === 0xa1 && b === 0xb2 && c === 0x3c && d === 0x4d;
  // Kuznetsov's modified libpcap (pcap.ts)
  const leMod = a === 0x34 && b === 0xcd && c === 0xb2 && d === 0xa1;
  const beMod = a === 0xa1 && b === 0xb2 && c === 0xcd && d === 0x34;
  // Ixia's lcap (1c0001ab, 1c0001ac: pcap-variant.ts)
  const leIxia = c === 0x00 && d === 0x1c && b === 0x01 && (a === 0xab || a === 0xac);
  const beIxia = a === 0x1c && b === 0x00 && c === 0x01 && (d === 0xab || d === 0xac);
  if (le || be || leNs || beNs || leMod || beMod || leIxia || beIxia) return 'pcap';
  // "HEP3": no SIP log line starts so (no method is HEP3), so text loses nothing
  if (a === 0x48 && b === 0x45 && c === 0x50 && d === 0x33) return 'hep';
  return 'text';
};

/** Hex of the first bytes, for error messages. */
export const hexHead = (head: Uint8Array, n = 8): string =>
  [...head.subarray(0, n)].map((x) => x.toString(16).padStart(2, '0')).join(' ');
