import { classifyStatusCode, zeroClassCounts } from '../contract/classes.js';
import { grown } from './grown.js';
import { IndexMemo } from './index-memo.js';
import { type KpiData, KpiTracker } from './kpis.js';
import type { LogClock } from './log-clock.js';
import { MessageCounter } from './message-counter.js';
import { setKey } from './own-key.js';
import { NO_PEER_NAMES, OTHER_PEER, type PeerMap } from './peers.js';
import type { RetransmissionDetector } from './retransmissions.js';
import { sparseRecord } from './sparse-record.js';
import { isRepresentableTime } from './time-range.js';
import type { AnomalyKind, Format, ResponseClass } from './types.js';
import { RESPONSE_CLASSES } from './types.js';

/** Counts of one response class each. */
export type ClassCounts = Record<ResponseClass, number>;

/** Per-minute counts, keyed by the log's own time. */
export interface MinuteCounts {
  /** Start of the minute, ISO 8601 UTC. */
  readonly minute: string;
  readonly byClass: ClassCounts;
  readonly byCode: Record<string, number>;
  /** CSeq method -> status code -> count. */
  readonly byMethod: Record<string, Record<string, number>>;
  readonly retransmittedByClass: ClassCounts;
  /** Peer (sender) -> responses per class in this minute. */
  readonly byPeer: Record<string, ClassCounts>;
}

/** Responses one peer sent. */
export interface PeerCounts {
  readonly responses: number;
  readonly byClass: ClassCounts;
  readonly byCode: Record<string, number>;
}

/** Everything a scan counted; plain data, safe to JSON.stringify. */
export interface ScanResult {
  readonly formats: Format[];
  readonly bytes: number;
  /** SIP messages seen in a trace; accounting records (acc lines) are responses but not messages. */
  readonly messages: number;
  readonly requests: number;
  readonly responses: number;
  /** Responses known only from accounting records (Kamailio/OpenSIPS acc lines), no message behind them. */
  readonly accountedResponses: number;
  readonly byClass: ClassCounts;
  readonly byCode: Record<string, number>;
  readonly byMethod: Record<string, Record<string, number>>;
  readonly requestsByMethod: Record<string, number>;
  readonly retransmissions: { readonly requests: number; readonly responses: number };
  readonly retransmittedByClass: ClassCounts;
  readonly anomalies: Partial<Record<AnomalyKind, number>>;
  readonly unrecognizedBytes: number;
  /** Responses that carried a time (the rest are in the totals only). */
  readonly timedResponses: number;
  /** Responses by their sender: a peer-map name, the sender's IP, `local`, `unknown` (or `other` past the bound). */
  readonly byPeer: Record<string, PeerCounts>;
  readonly series: MinuteCounts[];
  /** RFC 6076 call-level KPI counts (see kpis.ts). */
  readonly kpis: KpiData;
}

/**
 * What a result holds beyond its totals, the per-peer response counts and the KPI totals. Each part costs time and
 * memory in proportion to the log's minutes or answering peers (at the end of a 1 GiB scan, ~13 MB of minute series
 * and ~19 MB of per-peer KPIs for 4,003 peers), so a caller that shows less asks for less: the CLI prints the
 * series only with `--per-minute` and the peers' KPIs only with `--by peer`. Off, the part is empty (`series: []`,
 * `kpis.series`, `kpis.delaySeries`, the peers' minutes; `kpis.byPeer: {}`) and every other count is the same.
 */
export interface ResultDetail {
  /** Per-minute series of responses and KPIs, by the log's own time. @default true */
  readonly perMinute?: boolean;
  /** The KPIs of each answering peer. @default true */
  readonly peerKpis?: boolean;
}

/** Everything: the Lambda publishes both, the HTML report draws both. */
export const FULL_DETAIL: ResultDetail = Object.freeze({ perMinute: true, peerKpis: true });

const zeroClasses: () => ClassCounts = zeroClassCounts;

/** Status codes a response can be counted under (classifyStatusCode: 100..699), as indexes code - FIRST_CODE. */
const FIRST_CODE = 100;
const CODE_SLOTS = 600;

/**
 * Counts by status code, kept as numbers: a response bumps an array slot instead of a string-keyed
 * record (no String(code) and no property lookup per response). A file names a few dozen codes, so
 * the arrays are indexed by a compact slot given to each code on first sight (CodeSlots) and grow
 * only as far as the codes seen: a minute with one method costs a few bytes, not 600 slots.
 */
type SlotCounts = number[];

/** Code -> compact slot, in order of first sight (one per scan, shared by every SlotCounts of it). */
class CodeSlots {
  private readonly slotOf = new Int16Array(CODE_SLOTS).fill(-1);
  /** Slot -> status code. */
  readonly codes: number[] = [];

  slot(code: number): number {
    const i = code - FIRST_CODE;
    let s = this.slotOf[i] ?? -1;
    if (s < 0) {
      s = this.codes.length;
      this.codes.push(code);
      this.slotOf[i] = s;
    }
    return s;
  }

  /**
   * The counts as the result shows them: "code" -> count, codes that were never counted left out. Three-digit codes
   * are array-index keys, which every object lists in ascending numeric order (ECMA-262 OrdinaryOwnPropertyKeys),
   * the order sorting their strings gave: no sort, and no pair per code (a record per peer and per minute).
   */
  record(counts: SlotCounts): Record<string, number> {
    const out = sparseRecord<number>();
    for (let s = 0; s < counts.length; s++) {
      const n = counts[s] ?? 0;
      if (n > 0) out[this.codes[s] ?? 0] = n;
    }
    return out;
  }
}

const bumpSlot = (counts: SlotCounts, slot: number): void => {
  while (counts.length <= slot) counts.push(0);
  counts[slot] = (counts[slot] ?? 0) + 1;
};

/** CSeq method -> its index in per-method arrays (a file names a dozen methods; their strings are interned by the parser). */
class MethodSlots {
  private readonly slotOf = new Map<string, number>();
  /** The slot of a method by its number (SipMessage.methodId): an array read per message. */
  private readonly byId = new IndexMemo();
  /** Slot -> method. */
  readonly methods: string[] = [];

  /** The slot of `method`; `id` is its number when the parser gave one (the same slot as by the string). */
  slot(method: string, id?: number): number {
    if (id !== undefined && id >= 0) {
      const known = this.byId.get(id);
      if (known >= 0) return known;
      const s = this.slot(method);
      this.byId.set(id, s);
      return s;
    }
    let s = this.slotOf.get(method);
    if (s === undefined) {
      s = this.methods.length;
      this.methods.push(method);
      this.slotOf.set(method, s);
    }
    return s;
  }
}

interface MinuteBucket {
  byClass: ClassCounts;
  byCode: SlotCounts;
  /** By method slot: counts by code slot. */
  byMethod: (SlotCounts | undefined)[];
  retransmittedByClass: ClassCounts;
  byPeer: Map<string, ClassCounts>;
}

/** Senders whose peer is remembered (a cache: past it, it starts over; the counts do not depend on it). */
const MAX_CACHED_SENDERS = 65_536;
/** Cache key of "the log does not say who sent it" (no address is empty). */
const NO_SENDER = '';

/** Distinct peers kept per file; the rest are summed under `other` (memory stays bounded). */
export const MAX_TRACKED_PEERS = 100_000;
/** Distinct (minute, peer) cells kept per file (about 10 MB); past it a minute's new peers go to `other` (per-peer totals stay exact). */
export const MAX_MINUTE_PEER_CELLS = 100_000;

const MS_PER_MINUTE = 60_000;
/** Response classes per peer in the flat per-peer arrays. */
const CLASSES = RESPONSE_CLASSES.length;

/** Mutable running counters of one scan. */
export class Tally {
  readonly formats = new Set<Format>();
  bytes = 0;
  requests = 0;
  responses = 0;
  unrecognizedBytes = 0;
  timedResponses = 0;
  accountedResponses = 0;
  readonly byClass = zeroClasses();
  private readonly codeSlots = new CodeSlots();
  private readonly methodSlots = new MethodSlots();
  private readonly byCode: SlotCounts = [];
  /** By method slot: counts by code slot. */
  private readonly byMethod: (SlotCounts | undefined)[] = [];
  /** Requests by method slot. */
  private readonly requestsByMethod: number[] = [];
  retransmittedRequests = 0;
  retransmittedResponses = 0;
  readonly retransmittedByClass = zeroClasses();
  readonly anomalies: Partial<Record<AnomalyKind, number>> = {};
  private readonly minutes = new Map<number, MinuteBucket>();
  /** The minute of the last timed response and its bucket: consecutive responses mostly share one. */
  private lastMinute = Number.NaN;
  private lastBucket: MinuteBucket | undefined;
  /** INVITE/BYE/REGISTER transactions for the RFC 6076 KPIs (per peer by the same peer keys as byPeer). */
  readonly kpis: KpiTracker;
  /** Peer key -> its index. */
  private readonly peers = new Map<string, number>();
  /** The key of each peer, by its index. */
  private readonly peerKeys: string[] = [];
  /**
   * Each peer's counts, by its index: responses, by class (CLASSES per peer, in RESPONSE_CLASSES order), and by code
   * slot (CodeSlots, an array as long as the slots of the codes it sent). Flat arrays, not an object per peer with a
   * class object and a code Map in it: a response read three objects deep per peer among thousands of them.
   */
  private peerResponses = new Float64Array(64);
  private peerByClass = new Float64Array(64 * CLASSES);
  private readonly peerByCode: SlotCounts[] = [];
  private lastPeerIndex = -1;
  /**
   * Raw sender address -> its peer: one map lookup per response, and the peer map consulted once
   * per distinct sender. Exact: a name's bucket (or `other`, once the bound is reached) never
   * changes after it is first decided, since `peers` only grows.
   */
  private readonly senders = new Map<string, number>();
  /**
   * The same by the sender's number (PayloadMeta.srcId). A sender's peer never changes within a tally; an array read,
   * where the Map read the string's hash from a string scattered in the heap (a cache miss per response among
   * thousands of senders).
   */
  private readonly bySenderId = new IndexMemo();
  /**
   * Per peer: the minute its last timed response went to, and that response's cell in it: a peer's responses mostly
   * fall in the same minute, and the cell of a (minute, peer) never changes once decided.
   */
  private readonly cellMinute: (MinuteBucket | undefined)[] = [];
  private readonly cell: (ClassCounts | undefined)[] = [];
  private minutePeerCells = 0;
  /** Keep the per-minute series (ResultDetail.perMinute). */
  private readonly perMinute: boolean;

  /**
   * @param peerNames names for sender addresses (by default, senders are keyed by IP).
   * @param options.kpis track the RFC 6076 KPIs (default true; off they stay zero, to measure their cost).
   * @param options.detail what the result holds beyond its totals (default FULL_DETAIL).
   */
  constructor(
    private readonly peerNames: PeerMap = NO_PEER_NAMES,
    options: { readonly kpis?: boolean; readonly detail?: ResultDetail } = {},
  ) {
    const detail = options.detail ?? FULL_DETAIL;
    this.perMinute = detail.perMinute ?? true;
    // the KPI tracker is handed the peer index addResponse resolved for the same response (MessageCounter), so the
    // peer's bucket (and the cardinality guard's verdict) is the same
    this.kpis = new KpiTracker({
      peerKeys: this,
      enabled: options.kpis ?? true,
      perMinute: this.perMinute,
      perPeer: detail.peerKpis ?? true,
    });
  }

  /**
   * A counter feeding this tally. Every counter of a scan is made here (the file's in index.ts with the file's clock,
   * the capture readers' own ones, ICMP quotes with their own detector), so a tally that records the calls instead of
   * counting them (lambda/engine/pipeline/record-events.ts) hands out counters that record.
   */
  counter(detector?: RetransmissionDetector, clock?: LogClock): MessageCounter {
    return new MessageCounter(this, detector, clock);
  }

  /** Counts one request. */
  addRequest(method: string, retransmission: boolean, methodId?: number): void {
    this.requests++;
    const slot = this.methodSlots.slot(method, methodId);
    while (this.requestsByMethod.length <= slot) this.requestsByMethod.push(0);
    this.requestsByMethod[slot] = (this.requestsByMethod[slot] ?? 0) + 1;
    if (retransmission) this.retransmittedRequests++;
  }

  /**
   * Counts one response. Returns false (and counts an anomaly instead) when the status code
   * has no class.
   */
  addResponse(
    code: number,
    cseqMethod: string,
    retransmission: boolean,
    timeMs: number | undefined,
    sender?: string,
    senderId?: number,
    cseqMethodId?: number,
  ): boolean {
    const cls = classifyStatusCode(code);
    if (cls === null) {
      this.anomaly('invalid-status-code');
      return false;
    }
    const codeSlot = this.codeSlots.slot(code);
    const methodSlot = this.methodSlots.slot(cseqMethod, cseqMethodId);
    this.responses++;
    this.byClass[cls]++;
    bumpSlot(this.byCode, codeSlot);
    let perMethod = this.byMethod[methodSlot];
    if (perMethod === undefined) {
      perMethod = [];
      this.byMethod[methodSlot] = perMethod;
    }
    bumpSlot(perMethod, codeSlot);
    if (retransmission) {
      this.retransmittedResponses++;
      this.retransmittedByClass[cls]++;
    }
    const p = this.peerOf(sender ?? NO_SENDER, sender === undefined ? undefined : senderId);
    this.lastPeerIndex = p;
    this.peerResponses[p] = (this.peerResponses[p] ?? 0) + 1;
    // classifyStatusCode took the code: 100..699, so its class's index is its first digit - 1
    const c = p * CLASSES + Math.floor(code / 100) - 1;
    this.peerByClass[c] = (this.peerByClass[c] ?? 0) + 1;
    bumpSlot(this.peerByCode[p] as SlotCounts, codeSlot);
    if (timeMs !== undefined && !isRepresentableTime(timeMs)) {
      // a time outside what a Date can hold (a damaged timestamp): untimed, and said so
      this.anomaly('invalid-time');
    } else if (timeMs !== undefined) {
      this.timedResponses++;
      if (!this.perMinute) return true;
      const bucket = this.bucket(timeMs);
      bucket.byClass[cls]++;
      bumpSlot(bucket.byCode, codeSlot);
      let minuteMethod = bucket.byMethod[methodSlot];
      if (minuteMethod === undefined) {
        minuteMethod = [];
        bucket.byMethod[methodSlot] = minuteMethod;
      }
      bumpSlot(minuteMethod, codeSlot);
      if (retransmission) bucket.retransmittedByClass[cls]++;
      let perPeer = this.cellMinute[p] === bucket ? this.cell[p] : undefined;
      if (perPeer === undefined) {
        perPeer = this.minuteCell(bucket, this.peerKeys[p] ?? OTHER_PEER);
        this.cellMinute[p] = bucket;
        this.cell[p] = perPeer;
      }
      perPeer[cls]++;
    }
    return true;
  }

  /** The cell of a peer in a minute: its own, or `other` once the minute-peer cells are all taken. */
  private minuteCell(bucket: MinuteBucket, peerKey: string): ClassCounts {
    let perPeer = bucket.byPeer.get(peerKey);
    if (perPeer === undefined) {
      const key = this.minutePeerCells < MAX_MINUTE_PEER_CELLS ? peerKey : OTHER_PEER;
      perPeer = bucket.byPeer.get(key);
      if (perPeer === undefined) {
        perPeer = zeroClasses();
        bucket.byPeer.set(key, perPeer);
        this.minutePeerCells++;
      }
    }
    return perPeer;
  }

  /** The index of the peer a sender's responses count under (by its number when the reader gave one). */
  private peerOf(sender: string, senderId: number | undefined): number {
    if (senderId !== undefined && senderId >= 0) {
      const known = this.bySenderId.get(senderId);
      if (known >= 0) return known;
      const p = this.peerOf(sender, undefined);
      this.bySenderId.set(senderId, p);
      return p;
    }
    let p = this.senders.get(sender);
    if (p === undefined) {
      // nameOf('') is UNKNOWN_PEER, as for a sender the log does not give
      p = this.peerIndex(this.peerNames.nameOf(sender));
      if (this.senders.size >= MAX_CACHED_SENDERS) this.senders.clear();
      this.senders.set(sender, p);
    }
    return p;
  }

  /** The index of the peer named `name` (made on first sight; `other` past MAX_TRACKED_PEERS). */
  private peerIndex(name: string): number {
    let key = name;
    let index = this.peers.get(key);
    if (index === undefined && this.peers.size >= MAX_TRACKED_PEERS) {
      key = OTHER_PEER;
      index = this.peers.get(key);
    }
    if (index === undefined) {
      index = this.peerKeys.length;
      this.peers.set(key, index);
      this.peerKeys.push(key);
      this.peerByCode.push([]);
      this.peerResponses = grown(this.peerResponses, index + 1, 0);
      this.peerByClass = grown(this.peerByClass, (index + 1) * CLASSES, 0);
    }
    return index;
  }

  /**
   * The peer index of the response addResponse counted last (-1 before any): the KPI tracker files the transaction
   * that response answers under the same peer, without resolving its sender a second time.
   */
  get lastPeer(): number {
    return this.lastPeerIndex;
  }

  /** The key of the peer with this index (as `lastPeer` gives it). */
  peerKeyAt(index: number): string {
    const key = this.peerKeys[index];
    if (key === undefined) throw new Error(`peer index ${index} out of range`);
    return key;
  }

  private bucket(timeMs: number): MinuteBucket {
    const minute = Math.floor(timeMs / MS_PER_MINUTE) * MS_PER_MINUTE;
    if (minute === this.lastMinute && this.lastBucket !== undefined) return this.lastBucket;
    let b = this.minutes.get(minute);
    if (!b) {
      b = { byClass: zeroClasses(), byCode: [], byMethod: [], retransmittedByClass: zeroClasses(), byPeer: new Map() };
      this.minutes.set(minute, b);
    }
    this.lastMinute = minute;
    this.lastBucket = b;
    return b;
  }

  /** Counts one anomaly of the given kind. */
  anomaly(kind: AnomalyKind, by = 1): void {
    this.anomalies[kind] = (this.anomalies[kind] ?? 0) + by;
  }

  /** Total anomalies of every kind. */
  get anomalyCount(): number {
    let n = 0;
    for (const v of Object.values(this.anomalies)) n += v ?? 0;
    return n;
  }

  /** A plain snapshot of the counts. */
  toResult(): ScanResult {
    const series = [...this.minutes.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([ms, b]) => ({
        minute: new Date(ms).toISOString(),
        byClass: { ...b.byClass },
        byCode: this.codeSlots.record(b.byCode),
        byMethod: this.methodRecord(b.byMethod),
        retransmittedByClass: { ...b.retransmittedByClass },
        byPeer: minutePeers(b.byPeer),
      }));
    const byMethod = this.methodRecord(this.byMethod);
    return {
      formats: [...this.formats],
      bytes: this.bytes,
      messages: this.requests + this.responses - this.accountedResponses,
      requests: this.requests,
      responses: this.responses,
      accountedResponses: this.accountedResponses,
      byClass: { ...this.byClass },
      byCode: this.codeSlots.record(this.byCode),
      byMethod,
      requestsByMethod: this.requestRecord(),
      retransmissions: { requests: this.retransmittedRequests, responses: this.retransmittedResponses },
      retransmittedByClass: { ...this.retransmittedByClass },
      anomalies: { ...this.anomalies },
      unrecognizedBytes: this.unrecognizedBytes,
      timedResponses: this.timedResponses,
      byPeer: Object.fromEntries(
        [...this.peers.entries()].sort(byKey).map(([k, p]) => [
          k,
          {
            responses: this.peerResponses[p] ?? 0,
            byClass: this.peerClasses(p),
            byCode: this.codeSlots.record(this.peerByCode[p] ?? []),
          },
        ]),
      ),
      series,
      kpis: this.kpis.toData(),
    };
  }

  /** Peer p's counts by class, as the result shows them. */
  private peerClasses(p: number): ClassCounts {
    const out = zeroClasses();
    for (let c = 0; c < CLASSES; c++)
      out[RESPONSE_CLASSES[c] as ResponseClass] = this.peerByClass[p * CLASSES + c] ?? 0;
    return out;
  }

  /** Requests by method as the result shows them: methods in string order. */
  private requestRecord(): Record<string, number> {
    const present: [string, number][] = [];
    for (let m = 0; m < this.requestsByMethod.length; m++) {
      const n = this.requestsByMethod[m] ?? 0;
      if (n > 0) present.push([this.methodSlots.methods[m] ?? '', n]);
    }
    present.sort(byKey);
    const out: Record<string, number> = {};
    for (const [method, n] of present) setKey(out, method, n);
    return out;
  }

  /** Per-method counts as the result shows them: method -> "code" -> count, methods in string order. */
  private methodRecord(byMethod: readonly (SlotCounts | undefined)[]): Record<string, Record<string, number>> {
    const present: [string, SlotCounts][] = [];
    for (let m = 0; m < byMethod.length; m++) {
      const counts = byMethod[m];
      if (counts !== undefined) present.push([this.methodSlots.methods[m] ?? '', counts]);
    }
    present.sort(byKey);
    const out: Record<string, Record<string, number>> = {};
    for (const [method, counts] of present) setKey(out, method, this.codeSlots.record(counts));
    return out;
  }
}

const byKey = (a: readonly [string, unknown], b: readonly [string, unknown]): number =>
  a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;

/** A minute's cells as the result shows them, peers in string order (a loop: fromEntries of mapped pairs costs twice as much). */
const minutePeers = (byPeer: ReadonlyMap<string, ClassCounts>): Record<string, ClassCounts> => {
  const cells = [...byPeer.entries()].sort(byKey);
  const out: Record<string, ClassCounts> = {};
  for (const [peer, counts] of cells) setKey(out, peer, { ...counts });
  return out;
};

/** Response classes in display order, re-exported for callers that format tables. */
export { RESPONSE_CLASSES };
