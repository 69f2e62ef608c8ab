/**
 * A libpcap file (any variant) rewritten in the other byte order: what the same tcpdump writes on a host of the
 * other endianness. editcap only writes the host's order, so the big-endian twins of the editcap fixtures are made
 * with this (make-pcap-variants.sh checks that tshark reads them as it reads the originals).
 */

const FILE_HEADER_BYTES = 24;

const swap32 = (out: Buffer, at: number): void => {
  out.writeUInt32BE(out.readUInt32LE(at), at);
};
const swap16 = (out: Buffer, at: number): void => {
  out.writeUInt16BE(out.readUInt16LE(at), at);
};

/** `file` (little-endian, records of `recordHeaderBytes`) in big-endian order. */
export const swapPcapByteOrder = (file: Buffer, recordHeaderBytes: number): Buffer => {
  const out = Buffer.from(file);
  // magic, version major and minor, thiszone, sigfigs, snaplen, network
  swap32(out, 0);
  swap16(out, 4);
  swap16(out, 6);
  for (const at of [8, 12, 16, 20]) swap32(out, at);
  let pos = FILE_HEADER_BYTES;
  while (pos + recordHeaderBytes <= out.length) {
    const capLen = out.readUInt32LE(pos + 8);
    // seconds, fraction, captured and original length
    for (const at of [0, 4, 8, 12]) swap32(out, pos + at);
    // Kuznetsov's patched headers: interface index (32 bits) and protocol (16 bits); Nokia's 4 bytes are opaque
    if (recordHeaderBytes >= 24) {
      swap32(out, pos + 16);
      swap16(out, pos + 20);
    }
    pos += recordHeaderBytes + capLen;
  }
  return out;
};

/**
 * `file` (a standard-record libpcap file, either byte order) as Ixia's lcap writes it: magic 1c0001ab (software
 * capture, microseconds) or 1c0001ac (hardware, nanoseconds), then the 4-byte length of the records after the file
 * header. No tool here writes lcap; make-pcap-variants.sh checks that tshark reads these as it reads `file`.
 */
export const toIxiaLcap = (file: Buffer, hardware: boolean): Buffer => {
  const littleEndian = file.readUInt32LE(0) >>> 16 === 0xa1b2;
  const magic = hardware ? 0x1c0001ac : 0x1c0001ab;
  const head = Buffer.alloc(8);
  if (littleEndian) {
    head.writeUInt32LE(magic, 0);
    head.writeUInt32LE(file.length - FILE_HEADER_BYTES, 4);
  } else {
    head.writeUInt32BE(magic, 0);
    head.writeUInt32BE(file.length - FILE_HEADER_BYTES, 4);
  }
  return Buffer.concat([
    head.subarray(0, 4),
    file.subarray(4, FILE_HEADER_BYTES),
    head.subarray(4),
    file.subarray(FILE_HEADER_BYTES),
  ]);
};
