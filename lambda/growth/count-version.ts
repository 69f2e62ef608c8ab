import { type LedgerId, ledgerKey } from '../contract/ledger.js';
import { scan } from '../engine/index.js';
import type { PeerMap } from '../engine/peers.js';
import { type ScanResult, Tally } from '../engine/tally.js';
import { LeaseHeldError } from '../errors.js';
import type { KeyProgressStore, LogSink, ObjectRef, ObjectSource } from '../ports.js';
import { countGrowing, type OpenFrom, type VersionCount, type VersionTimes } from './growing-scan.js';

/** How a version of a key was counted, for the file summary. */
export interface GrowthNote {
  readonly mode: VersionCount['mode'] | 'older';
  readonly reason?: string;
  /** Where the read started (a resumed version is read from a block start before its resume offset). */
  readonly readFrom?: number;
  readonly bytesRead: number;
}

/** What one version contributes, and the steps that record it once its batches are published. */
export interface CountedVersion {
  readonly result: ScanResult;
  /** Resumed text: what the previous version already published for the re-read bytes (see deltaPoints). */
  readonly minus?: ScanResult;
  readonly lastModifiedMs?: number;
  readonly growth?: GrowthNote;
  /** How this version's counts are placed in time (the clock's reference, untimed and restamped minutes). */
  readonly times: VersionTimes;
  /** How the counts `minus` stands for were placed when they were published (the previous version's times). */
  readonly minusTimes?: VersionTimes;
  /**
   * Records the key's progress and frees the key; call once every batch is acknowledged, before completing.
   * `restamped`: some log times fell outside CloudWatch's window and went to the processing minute, which a later
   * version resumed part-way could not take back; the next version is then read again whole.
   */
  readonly commit: (restamped: boolean) => Promise<void>;
}

/** What countVersion needs. */
export interface CountVersionDeps {
  readonly source: ObjectSource;
  readonly keyProgress?: KeyProgressStore;
  readonly log: LogSink;
  readonly peers?: PeerMap;
  /** Track the RFC 6076 KPIs (off when their metrics are: a text scan does 13–22 % less work). @default true */
  readonly kpis?: boolean;
  /** IANA zone of the key's local times. */
  readonly timeZone?: string;
  readonly nowMs: number;
  /** The claim's reference time: the processing time of every attempt of this version (restamps, fallback times). */
  readonly refTimeMs: number;
  readonly leaseMs: number;
}

/** S3 sequencers of one key compare as hex strings after padding the shorter with zeros (S3 event structure docs). */
export const sequencerBefore = (a: string, b: string): boolean => {
  const len = Math.max(a.length, b.length);
  return a.padEnd(len, '0') < b.padEnd(len, '0');
};

const nothing = async (): Promise<void> => {};

/**
 * Counts one claimed version. Without a key progress store (the CLI) every version is counted in full. With one,
 * the key's lease serialises its versions: a version that extends the one counted is counted from the resume
 * offset, one older (by S3 sequencer) than the one counted counts nothing, anything else is new content.
 */
export const countVersion = async (
  ref: ObjectRef,
  id: LedgerId,
  owner: string,
  deps: CountVersionDeps,
): Promise<CountedVersion> => {
  const { source, keyProgress, log } = deps;
  const where = { bucket: ref.bucket, key: ref.key };
  const at: ObjectRef = { ...ref, versionId: id.versionId, eTag: id.eTag };
  let lastModifiedMs: number | undefined;
  const open: OpenFrom = async (from) => {
    const opened = await source.open(from > 0 ? { ...at, fromByte: from } : at);
    lastModifiedMs ??= opened.lastModifiedMs;
    return opened.body;
  };
  // as a whole upload is counted: a log is written before it is stored, so its LastModified completes the dates
  // the log leaves out; responses without a time go to the upload minute
  const times = (): VersionTimes => ({
    referenceMs: lastModifiedMs ?? ref.uploadTimeMs ?? deps.refTimeMs,
    uploadTimeMs: ref.uploadTimeMs ?? lastModifiedMs ?? deps.refTimeMs,
    nowMs: deps.refTimeMs,
  });
  if (keyProgress === undefined) {
    const body = await open(0);
    const result = await scan(body, {
      peers: deps.peers,
      kpis: deps.kpis,
      timeZone: deps.timeZone,
      referenceMs: times().referenceMs,
    });
    return { result, lastModifiedMs, times: times(), commit: nothing };
  }

  const tag = ledgerKey(id);
  const hold = await keyProgress.acquire(ref.bucket, ref.key, tag, owner, deps.nowMs, deps.leaseMs);
  if (hold.kind === 'busy') {
    throw new LeaseHeldError(
      `s3://${ref.bucket}/${ref.key}: another version of this key is being counted; retry after ${new Date(
        hold.leaseExpiresAtMs,
      ).toISOString()}`,
      { ...where, heldBy: hold.heldBy, leaseExpiresAtMs: hold.leaseExpiresAtMs },
    );
  }
  if (hold.abandonedBy !== undefined) {
    log.warn('an earlier version of this key stopped before it finished: counted from the last recorded progress', {
      ...where,
      abandonedBy: hold.abandonedBy,
    });
  }
  // a retry of the version that already recorded its progress counts from where that version started
  const base = hold.committedBy === tag ? hold.base : hold.progress;
  if (ref.sequencer !== undefined && base?.sequencer !== undefined && sequencerBefore(ref.sequencer, base.sequencer)) {
    log.info('older version of a key arrived after a newer one was counted: counts nothing', {
      ...where,
      sequencer: ref.sequencer,
      countedSequencer: base.sequencer,
    });
    return {
      result: new Tally(deps.peers).toResult(),
      growth: { mode: 'older', bytesRead: 0 },
      times: times(),
      commit: () => keyProgress.release(ref.bucket, ref.key, owner),
    };
  }
  const size = ref.size ?? (await source.head(at)).size;
  const v = await countGrowing(open, size, base, {
    peers: deps.peers,
    kpis: deps.kpis,
    sequencer: ref.sequencer,
    timeZone: deps.timeZone,
    times,
  });
  const growth: GrowthNote = {
    mode: v.mode,
    ...(v.reason === undefined ? {} : { reason: v.reason }),
    ...(v.readFrom === undefined ? {} : { readFrom: v.readFrom }),
    bytesRead: v.bytesRead,
  };
  if (v.mode === 'resumed') {
    log.info('grown log: counted what is new only', { ...where, size, previousSize: base?.size, ...growth });
  } else if (v.mode === 'new-content') {
    log.warn('new content under a key counted before: counted in full', {
      ...where,
      size,
      previousSize: base?.size,
      ...growth,
    });
  }
  const progress = v.progress;
  return {
    result: v.counted,
    ...(v.minus === undefined ? {} : { minus: v.minus, minusTimes: base?.times ?? times() }),
    lastModifiedMs,
    growth,
    times: progress?.times ?? times(),
    commit: (restamped) =>
      keyProgress.commit(
        ref.bucket,
        ref.key,
        tag,
        owner,
        restamped && progress !== undefined ? { ...progress, resumeAt: 0 } : progress,
        base,
      ),
  };
};
