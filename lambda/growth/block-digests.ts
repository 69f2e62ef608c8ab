import { createHash, type Hash } from 'node:crypto';

/**
 * Blocks of the stored proof: SHA-256 per block at fixed offsets of the object (multiples of BLOCK_BYTES), so the
 * digests of one version can be checked against any longer one whatever the offset a read starts at. A resumed
 * read starts at a block start, so it reads at most BLOCK_BYTES - 1 bytes before the resume offset for this.
 */
export const BLOCK_BYTES = 256 * 1024;

/** Digests of the blocks [firstBlock, ...) of one version; the last may be partial (it ends at the version's end). */
export interface BlockDigests {
  readonly firstBlock: number;
  readonly sha256: readonly string[];
}

/** Hashes the bytes of a read that starts at `from` (a block start), block by block, as they pass. */
export class BlockHasher {
  private pos: number;
  private hash: Hash = createHash('sha256');
  private inBlock = 0;
  private readonly done: string[] = [];
  private cutDigest: string | undefined;

  /** @param cutAt also digest the partial block that ends at this offset (the end of the version counted before). */
  constructor(
    private readonly from: number,
    private readonly cutAt?: number,
  ) {
    if (from % BLOCK_BYTES !== 0) throw new RangeError(`a hashed read starts at a block start, not at ${from}`);
    this.pos = from;
  }

  /** Takes the next bytes of the read. */
  update(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length) {
      let take = Math.min(chunk.length - off, BLOCK_BYTES - this.inBlock);
      const cut = this.cutAt;
      if (cut !== undefined && this.pos < cut && this.pos + take > cut) take = cut - this.pos;
      this.hash.update(chunk.subarray(off, off + take));
      off += take;
      this.pos += take;
      this.inBlock += take;
      if (cut !== undefined && this.pos === cut && cut % BLOCK_BYTES !== 0)
        this.cutDigest = this.hash.copy().digest('hex');
      if (this.inBlock === BLOCK_BYTES) {
        this.done.push(this.hash.digest('hex'));
        this.hash = createHash('sha256');
        this.inBlock = 0;
      }
    }
  }

  /** Bytes hashed so far. */
  get bytes(): number {
    return this.pos - this.from;
  }

  /** Digests of the blocks of the version read, from the block that holds `offset` to its end. */
  digestsFrom(offset: number): BlockDigests {
    const all = this.inBlock > 0 ? [...this.done, this.hash.copy().digest('hex')] : this.done;
    const firstBlock = Math.floor(offset / BLOCK_BYTES);
    const skip = firstBlock - this.from / BLOCK_BYTES;
    if (skip < 0) throw new RangeError(`blocks before ${this.from} were not read`);
    return { firstBlock, sha256: all.slice(skip) };
  }

  /** Whether the bytes read hold, up to `cutAt`, the blocks `expected` describes. */
  matches(expected: BlockDigests): boolean {
    const cut = this.cutAt;
    if (cut === undefined || this.pos < cut) return false;
    const whole = Math.floor(cut / BLOCK_BYTES) - this.from / BLOCK_BYTES;
    const got = this.done.slice(expected.firstBlock - this.from / BLOCK_BYTES, whole);
    if (cut % BLOCK_BYTES !== 0) got.push(this.cutDigest ?? '');
    return expected.firstBlock * BLOCK_BYTES >= this.from && got.join() === expected.sha256.join();
  }
}
