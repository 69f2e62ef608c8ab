import type { Tally } from '../tally.js';

/**
 * Reassembles fragmented IP datagrams (RFC 791 §3.2 for IPv4, RFC 8200 §4.5 for IPv6), the way
 * tshark does by default (ip.defragment, ipv6.defragment): the whole datagram is dissected once,
 * in the packet of its last fragment. Memory is bounded: datagrams still incomplete after
 * `FRAGMENT_TIMEOUT_MS` of capture time, or pushed out by newer ones past the limits, are dropped
 * and counted as 'ip-fragment-incomplete', as are those still open at the end of the capture.
 */

/** RFC 791 suggests 15 s for the reassembly timer; Linux waits 30 s (net.ipv4.ipfrag_time). */
export const FRAGMENT_TIMEOUT_MS = 30_000;
/** Datagrams being reassembled at once. */
export const MAX_OPEN_DATAGRAMS = 4096;
/** Fragment bytes held at once over all datagrams. */
export const MAX_FRAGMENT_BYTES = 32 * 1024 * 1024;
/** Real datagrams have tens of fragments (65535 / 576-byte MTU ~ 120); more is an attack on the reassembler. */
export const MAX_FRAGMENTS_PER_DATAGRAM = 512;
/** The largest datagram IPv4 or (non-jumbo) IPv6 can reassemble to. */
const MAX_DATAGRAM_BYTES = 65_535;

interface Fragment {
  readonly offset: number;
  readonly data: Buffer;
}

interface OpenDatagram {
  readonly fragments: Fragment[];
  /** Length of the whole payload, known once the last fragment (More Fragments = 0) arrived. */
  totalLength: number;
  bytes: number;
  readonly firstSeenMs: number;
  /** Upper-layer protocol, as the first fragment says (IPv6 may put it only there). */
  protocol: number;
}

/** A reassembled payload and its upper-layer protocol. */
export interface Reassembled {
  readonly payload: Buffer;
  readonly protocol: number;
}

/** Collects fragments per datagram key and returns each datagram once it is whole. */
export class FragmentReassembler {
  private readonly open = new Map<string, OpenDatagram>();
  private heldBytes = 0;

  constructor(private readonly tally: Tally) {}

  /** Datagrams waiting for more fragments. */
  get openDatagrams(): number {
    return this.open.size;
  }

  /**
   * Adds the fragment [start, end) of `buf` at byte `offset` of datagram `key`. Returns the whole
   * payload when this fragment completed it, else null. The bytes are copied.
   */
  add(
    key: string,
    offset: number,
    more: boolean,
    protocol: number,
    buf: Buffer,
    start: number,
    end: number,
    timeMs: number | undefined,
  ): Reassembled | null {
    const now = timeMs ?? 0;
    this.expire(now);
    if (offset + (end - start) > MAX_DATAGRAM_BYTES) {
      this.tally.anomaly('malformed-packet');
      return null;
    }
    let d = this.open.get(key);
    if (d === undefined) {
      d = { fragments: [], totalLength: -1, bytes: 0, firstSeenMs: now, protocol };
      this.open.set(key, d);
    }
    if (offset === 0) d.protocol = protocol;
    if (!more) d.totalLength = offset + (end - start);
    d.fragments.push({ offset, data: Buffer.from(buf.subarray(start, end)) });
    d.bytes += end - start;
    this.heldBytes += end - start;
    const whole = this.tryAssemble(d);
    if (whole !== null) {
      this.forget(key, d);
      return { payload: whole, protocol: d.protocol };
    }
    if (d.fragments.length > MAX_FRAGMENTS_PER_DATAGRAM) {
      this.forget(key, d);
      this.tally.anomaly('ip-fragment-incomplete');
    }
    while (this.open.size > MAX_OPEN_DATAGRAMS || this.heldBytes > MAX_FRAGMENT_BYTES) this.dropOldest();
    return null;
  }

  /** End of capture: every datagram still open is incomplete. */
  end(): void {
    if (this.open.size > 0) this.tally.anomaly('ip-fragment-incomplete', this.open.size);
    this.open.clear();
    this.heldBytes = 0;
  }

  private tryAssemble(d: OpenDatagram): Buffer | null {
    if (d.totalLength < 0 || d.bytes < d.totalLength) return null;
    const sorted = [...d.fragments].sort((a, b) => a.offset - b.offset);
    let covered = 0;
    for (const f of sorted) {
      if (f.offset > covered) return null;
      covered = Math.max(covered, f.offset + f.data.length);
    }
    if (covered < d.totalLength) return null;
    const whole = Buffer.alloc(d.totalLength);
    // overlapping fragments (RFC 5722 forbids them for IPv6): the later one wins, as it arrived last
    for (const f of d.fragments) {
      if (f.offset < d.totalLength) f.data.copy(whole, f.offset, 0, Math.min(f.data.length, d.totalLength - f.offset));
    }
    return whole;
  }

  /** Map order is arrival order, so the oldest datagrams are first. */
  private expire(now: number): void {
    for (const [key, d] of this.open) {
      if (now - d.firstSeenMs <= FRAGMENT_TIMEOUT_MS) return;
      this.forget(key, d);
      this.tally.anomaly('ip-fragment-incomplete');
    }
  }

  private dropOldest(): void {
    const first = this.open.entries().next().value;
    if (first === undefined) return;
    this.forget(first[0], first[1]);
    this.tally.anomaly('ip-fragment-incomplete');
  }

  private forget(key: string, d: OpenDatagram): void {
    this.open.delete(key);
    this.heldBytes -= d.bytes;
  }
}
