/**
 * Compressed containers other than gzip, by their magic numbers: a rotated log compressed with xz, bzip2 or zstd
 * (logrotate's `compresscmd`), or an archive, is no SIP text. The scan reads gzip only (zlib is in every Node and
 * every Lambda runtime; these need libraries or tools of their own), so such a file fails with the name of what it
 * is and how to read it, instead of "no SIP found".
 */

/** A container the scan does not open, with the command that opens it. */
export interface OtherCompression {
  readonly name: string;
  readonly decompress: string;
}

const MAGICS: readonly (readonly [readonly number[], OtherCompression])[] = [
  [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], { name: 'xz', decompress: 'xz -d' }],
  [[0x42, 0x5a, 0x68], { name: 'bzip2', decompress: 'bzip2 -d' }],
  [[0x28, 0xb5, 0x2f, 0xfd], { name: 'zstd', decompress: 'zstd -d' }],
  [[0x04, 0x22, 0x4d, 0x18], { name: 'lz4', decompress: 'lz4 -d' }],
  [[0x5d, 0x00, 0x00], { name: 'lzma', decompress: 'xz -d --format=lzma' }],
  [[0x50, 0x4b, 0x03, 0x04], { name: 'zip', decompress: 'unzip' }],
  [[0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], { name: '7z', decompress: '7z x' }],
  [[0x1f, 0x9d], { name: 'compress (.Z)', decompress: 'uncompress' }],
];

/** The container the first bytes announce, or undefined for none of these. */
export const otherCompression = (head: Uint8Array): OtherCompression | undefined => {
  for (const [magic, what] of MAGICS) {
    if (head.length >= magic.length && magic.every((b, i) => head[i] === b)) return what;
  }
  return undefined;
};
