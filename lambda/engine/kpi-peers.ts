/**
 * The KPIs of each answering peer (kpis.ts), in flat typed tables indexed by a peer's record number instead of an
 * object, a Map of minute rows and three delay histograms per peer. A text log of a busy SBC names thousands of peers,
 * and with timed messages those objects were most of what the KPIs cost a scan (issue 15): every answered
 * transaction bumped a field by name, looked up its peer's minute row and kept its delays in histograms of their own.
 *
 * - counts: six numbers per peer (KpiCounts, in KPI_COUNT_FIELDS order);
 * - minute rows: six numbers per (peer, minute) row, found through the peer's last row (a peer's transactions
 *   mostly fall in one minute) or a Map of the minute's rows; bounded like before (past `maxCells` rows a minute's
 *   new peers count in the `other` peer's row, the peers' totals stay exact);
 * - delays: count, sum, min and max per (peer, kind), and one hash table of bucket counts keyed by
 *   (peer, kind, bucket) for all peers together. Added in the same order as a DelayHistogram adds them, so the
 *   sums, and the records a snapshot makes, are the same to the bit.
 */
import type { DelayHistogramData } from './delay-histogram.js';
import { grown } from './grown.js';
import type { KpiCounts, KpiMinute, KpiPeerData } from './kpis.js';
import { setKey } from './own-key.js';
import { OTHER_PEER } from './peers.js';
import { sparseRecord } from './sparse-record.js';

/** The fields of KpiCounts, in the order a row keeps them. */
export const KPI_COUNT_FIELDS: readonly (keyof KpiCounts)[] = [
  'inviteTransactions',
  'redirected',
  'established',
  'effective',
  'ineffective',
  'completed',
];
/** A field's place in a row (KPI_COUNT_FIELDS.indexOf). */
export const F_INVITES = 0;
export const F_REDIRECTED = 1;
export const F_ESTABLISHED = 2;
export const F_EFFECTIVE = 3;
export const F_INEFFECTIVE = 4;
export const F_COMPLETED = 5;
const FIELDS = KPI_COUNT_FIELDS.length;

/** The delays, in the order the tables keep them. */
export const SRD = 0;
export const SDD = 1;
export const RRD = 2;
const KINDS = 3;
/** Per (peer, kind): count, sum, min, max. */
const STATS = 4;

/** Bucket numbers stay below this (bucketOf of the longest delay two representable times make is ~4,500). */
const BUCKET_SPAN = 8192;
/** (peer, kind, bucket) keys fit an unsigned 32-bit number up to this many peers (the tally keeps at most ~100,000). */
const MAX_RECORDS = Math.floor(0xffff_ffff / (KINDS * BUCKET_SPAN)) - 1;

/** The record of a histogram with no delay (shared). */
export const EMPTY_DELAYS: DelayHistogramData = { count: 0, sumMs: 0, minMs: null, maxMs: null, buckets: {} };

/** A minute row as plain data, `minute` first as its JSON has it (one object, not a spread of the counts). */
export const minuteRow = (minute: string, c: KpiCounts): KpiMinute => ({
  minute,
  inviteTransactions: c.inviteTransactions,
  redirected: c.redirected,
  established: c.established,
  effective: c.effective,
  ineffective: c.ineffective,
  completed: c.completed,
});

/** The six counts of a row that starts at `at`, as a KpiCounts. */
const countsAt = (c: Float64Array, at: number): KpiCounts => ({
  inviteTransactions: c[at] ?? 0,
  redirected: c[at + 1] ?? 0,
  established: c[at + 2] ?? 0,
  effective: c[at + 3] ?? 0,
  ineffective: c[at + 4] ?? 0,
  completed: c[at + 5] ?? 0,
});

/**
 * The first slot of `key` in a table of 2^bits slots: murmur3's finaliser, then the top bits. A key's low bits are
 * its delay bucket; a plain multiply kept those in the slot, so every peer's entry for one delay started at the same
 * place (thousands of peers answering in the same millisecond made each add a walk of a thousand slots).
 */
export const bucketSlot = (key: number, bits: number): number => {
  let h = key ^ (key >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> (32 - bits);
};

const FIRST_BITS = 10;

/** Bucket counts keyed by an unsigned 32-bit number: open addressing, linear probing, at most half full. */
class BucketCounts {
  /** key + 1 (0: empty slot). */
  private keys = new Uint32Array(1 << FIRST_BITS);
  private counts = new Float64Array(1 << FIRST_BITS);
  private bits = FIRST_BITS;
  private used = 0;

  add(key: number, n: number): void {
    const mask = this.keys.length - 1;
    let i = bucketSlot(key, this.bits);
    for (;;) {
      i &= mask;
      const k = this.keys[i] ?? 0;
      if (k === key + 1) {
        this.counts[i] = (this.counts[i] ?? 0) + n;
        return;
      }
      if (k === 0) break;
      i++;
    }
    this.keys[i] = key + 1;
    this.counts[i] = n;
    if (++this.used * 2 > this.keys.length) this.grow();
  }

  private grow(): void {
    const { keys, counts } = this;
    this.keys = new Uint32Array(keys.length * 2);
    this.counts = new Float64Array(keys.length * 2);
    this.bits++;
    this.used = 0;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] ?? 0;
      if (k !== 0) this.add(k - 1, counts[i] ?? 0);
    }
  }

  /** Every (key, count), keys ascending. */
  sorted(): { keys: Float64Array; counts: Float64Array } {
    const order = new Float64Array(this.used);
    let n = 0;
    for (let i = 0; i < this.keys.length; i++) {
      const k = this.keys[i] ?? 0;
      if (k !== 0) order[n++] = k - 1;
    }
    order.sort();
    const counts = new Float64Array(n);
    for (let j = 0; j < n; j++) counts[j] = this.countOf(order[j] ?? 0);
    return { keys: order, counts };
  }

  private countOf(key: number): number {
    const mask = this.keys.length - 1;
    let i = bucketSlot(key, this.bits);
    for (;;) {
      i &= mask;
      const k = this.keys[i] ?? 0;
      if (k === key + 1) return this.counts[i] ?? 0;
      if (k === 0) return 0;
      i++;
    }
  }
}

/** The ISO 8601 names of minutes, each made once per snapshot (peers share the same few minutes). */
export class MinuteNames {
  private readonly names = new Map<number, string>();
  of(ms: number): string {
    let s = this.names.get(ms);
    if (s === undefined) {
      s = new Date(ms).toISOString();
      this.names.set(ms, s);
    }
    return s;
  }
}

/** The answering peers' KPIs (see the module comment). */
export class PeerKpiTable {
  private readonly keys: string[] = [];
  private readonly byKey = new Map<string, number>();
  private counts = new Float64Array(FIELDS * 64);
  private stats = new Float64Array(KINDS * STATS * 64);
  private readonly buckets = new BucketCounts();
  /** The minute and row a peer last counted in (NaN: none yet). */
  private lastMinute = new Float64Array(64).fill(Number.NaN);
  private lastRow = new Int32Array(64);
  /** Minute -> record -> row. */
  private readonly rowsByMinute = new Map<number, Map<number, number>>();
  private rowCounts = new Float64Array(FIELDS * 256);
  private rows = 0;

  /** @param maxCells distinct (peer, minute) rows kept; past it a minute's new peers count in `other`'s row. */
  constructor(private readonly maxCells: number) {}

  /** The record number of the peer with this key (made on first use). */
  index(key: string): number {
    let p = this.byKey.get(key);
    if (p === undefined) {
      p = this.keys.length;
      if (p >= MAX_RECORDS) throw new RangeError(`more than ${MAX_RECORDS} KPI peers`);
      this.keys.push(key);
      this.byKey.set(key, p);
      this.counts = grown(this.counts, FIELDS * (p + 1), 0);
      const stats = grown(this.stats, KINDS * STATS * (p + 1), 0);
      for (let k = 0; k < KINDS; k++) {
        stats[(p * KINDS + k) * STATS + 2] = Number.POSITIVE_INFINITY;
        stats[(p * KINDS + k) * STATS + 3] = Number.NEGATIVE_INFINITY;
      }
      this.stats = stats;
      this.lastMinute = grown(this.lastMinute, p + 1, Number.NaN);
      this.lastRow = grown(this.lastRow, p + 1, 0);
    }
    return p;
  }

  /** Counts one of `field` for peer `p`, and in its row of the minute (when the transaction is timed). */
  bump(p: number, minuteMs: number, field: number): void {
    const at = p * FIELDS + field;
    this.counts[at] = (this.counts[at] ?? 0) + 1;
    if (minuteMs < 0) return;
    const r = this.rowOf(p, minuteMs) * FIELDS + field;
    this.rowCounts[r] = (this.rowCounts[r] ?? 0) + 1;
  }

  /** Adds a delay of `kind` (SRD, SDD, RRD) to peer `p`, as DelayHistogram.add does; `bucket` is delayBucket(ms). */
  addDelay(p: number, kind: number, ms: number, bucket: number): void {
    const v = Math.max(0, ms);
    const s = (p * KINDS + kind) * STATS;
    const stats = this.stats;
    stats[s] = (stats[s] ?? 0) + 1;
    stats[s + 1] = (stats[s + 1] ?? 0) + v;
    if (v < (stats[s + 2] ?? 0)) stats[s + 2] = v;
    if (v > (stats[s + 3] ?? 0)) stats[s + 3] = v;
    this.addToBucket(p, kind, bucket, 1);
  }

  private addToBucket(p: number, kind: number, bucket: number, n: number): void {
    if (!(bucket >= 0 && bucket < BUCKET_SPAN)) throw new RangeError(`delay bucket ${bucket} out of range`);
    this.buckets.add((p * KINDS + kind) * BUCKET_SPAN + bucket, n);
  }

  /** Peer p's row of a minute; past `maxCells` rows a new one is the `other` peer's row of that minute. */
  private rowOf(p: number, minuteMs: number): number {
    if (this.lastMinute[p] === minuteMs) return this.lastRow[p] ?? 0;
    let rows = this.rowsByMinute.get(minuteMs);
    if (rows === undefined) {
      rows = new Map();
      this.rowsByMinute.set(minuteMs, rows);
    }
    let r = rows.get(p);
    if (r === undefined) {
      // the owner's row, once decided, never changes (rows only grow), so the peer's cache may hold another's row
      const owner = this.rows >= this.maxCells ? this.index(OTHER_PEER) : p;
      r = rows.get(owner);
      if (r === undefined) {
        r = this.rows++;
        this.rowCounts = grown(this.rowCounts, FIELDS * this.rows, 0);
        rows.set(owner, r);
      }
    }
    this.lastMinute[p] = minuteMs;
    this.lastRow[p] = r;
    return r;
  }

  /** Every peer's record, by key in code-unit order (the default sort's). */
  records(iso: MinuteNames): Record<string, KpiPeerData> {
    const series = this.seriesByPeer(iso);
    const delays = this.delaysByPeer();
    const out: Record<string, KpiPeerData> = {};
    for (const key of [...this.keys].sort()) {
      const p = this.byKey.get(key) ?? 0;
      const c = this.counts;
      const at = p * FIELDS;
      // the counts first, then the delays and the series: the record's key order is its JSON's
      const record: KpiPeerData = Object.assign(countsAt(c, at), {
        srd: delays[p * KINDS] ?? EMPTY_DELAYS,
        sdd: delays[p * KINDS + 1] ?? EMPTY_DELAYS,
        rrd: delays[p * KINDS + 2] ?? EMPTY_DELAYS,
        series: series[p] ?? [],
      });
      setKey(out, key, record);
    }
    return out;
  }

  /** Each peer's minute rows in time order (only the peers that own a row). */
  private seriesByPeer(iso: MinuteNames): KpiMinute[][] {
    const out: KpiMinute[][] = [];
    for (const minuteMs of [...this.rowsByMinute.keys()].sort((a, b) => a - b)) {
      const minute = iso.of(minuteMs);
      for (const [p, r] of this.rowsByMinute.get(minuteMs) ?? []) {
        const c = this.rowCounts;
        const at = r * FIELDS;
        let rows = out[p];
        if (rows === undefined) {
          rows = [];
          out[p] = rows;
        }
        rows.push(minuteRow(minute, countsAt(c, at)));
      }
    }
    return out;
  }

  /** Each (peer, kind)'s histogram as DelayHistogram.toData makes it, at p * KINDS + kind (undefined: empty). */
  private delaysByPeer(): (DelayHistogramData | undefined)[] {
    const out: (DelayHistogramData | undefined)[] = [];
    const { keys, counts } = this.buckets.sorted();
    let j = 0;
    while (j < keys.length) {
      const group = Math.floor((keys[j] ?? 0) / BUCKET_SPAN);
      const buckets = sparseRecord<number>();
      for (; j < keys.length && Math.floor((keys[j] ?? 0) / BUCKET_SPAN) === group; j++) {
        buckets[(keys[j] ?? 0) - group * BUCKET_SPAN] = counts[j] ?? 0;
      }
      const s = group * STATS;
      const count = this.stats[s] ?? 0;
      out[group] = {
        count,
        sumMs: this.stats[s + 1] ?? 0,
        minMs: this.stats[s + 2] ?? 0,
        maxMs: this.stats[s + 3] ?? 0,
        buckets,
      };
    }
    return out;
  }
}
