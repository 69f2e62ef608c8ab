import { randomUUID } from 'node:crypto';
import pMap from 'p-map';
import { FAILED_BATCH_INDEX, type LedgerId } from './contract/ledger.js';
import type { MetricDetail } from './contract/metrics.js';
import { kpiRatios } from './engine/kpis.js';
import type { PeerMap } from './engine/peers.js';
import type { ScanResult } from './engine/tally.js';
import { type ErrorCode, LeaseHeldError, PlanChangedError, partialResultOf, SipMetricsError } from './errors.js';
import { type CountedVersion, countVersion, type GrowthNote } from './growth/count-version.js';
import { deltaPoints } from './growth/delta-points.js';
import { type LogTimeZones, zoneForKey } from './log-time-zones.js';
import {
  fileFailedPoints,
  type MetricPoint,
  type PeerMetricOptions,
  planDigest,
  processingLagPoint,
  toMetricPoints,
} from './metrics/index.js';
import type { ClaimResult, KeyProgressStore, Ledger, LogSink, MetricSink, ObjectRef, ObjectSource } from './ports.js';

/** Everything runScan talks to, built once per container by the handler (or by a test). */
export interface RunScanDeps {
  readonly source: ObjectSource;
  readonly sink: MetricSink;
  readonly ledger: Ledger;
  readonly log: LogSink;
  readonly detail: MetricDetail;
  /** Names for sender addresses in the per-peer counts (default: keyed by IP). */
  readonly peers?: PeerMap;
  /** Publish Responses by Peer too, with this cardinality guard (default: off). */
  readonly peerMetrics?: PeerMetricOptions;
  /** Publish the RFC 6076 KPI metrics (InviteTransactions by Outcome, the three delays); off, they are not tracked. */
  readonly kpiMetrics: boolean;
  /** Zone of each log's local times, by key (default: UTC). */
  readonly logTimeZones?: LogTimeZones;
  readonly publishConcurrency: number;
  /** How long a claim made now lasts: no longer than the invocation can still run, plus a margin. */
  readonly leaseMs: () => number;
  /** The clock, injectable so tests can place "now" (defaults to Date.now). */
  readonly now?: () => number;
  /** Per-key progress of growing logs (lambda/growth): without it every version of a key is counted in full. */
  readonly keyProgress?: KeyProgressStore;
}

/** The file summary stored in the ledger and logged once per file. Counts only: never message contents. */
export interface FileSummary {
  readonly bucket: string;
  readonly key: string;
  readonly bytes: number;
  readonly formats: readonly string[];
  readonly responses: number;
  readonly responsesByClass: ScanResult['byClass'];
  /** RFC 6076 ratios of the file's INVITE transactions (percent, null without a denominator). */
  readonly kpis?: { readonly inviteTransactions: number } & ReturnType<typeof kpiRatios>;
  readonly retransmittedResponses: number;
  readonly anomalies: ScanResult['anomalies'];
  readonly restampedResponses: number;
  /** Responses with no time of their own (published at the upload minute, and as UntimedResponses); absent in summaries of older versions. */
  readonly untimedResponses?: number;
  readonly datums: number;
  readonly batches: number;
  /** PutMetricData calls this attempt made (batches acknowledged in earlier attempts are not resent). */
  readonly calls: number;
  readonly attempt: number;
  readonly durationMs: number;
  readonly mbPerSecond: number;
  /** A version of a key counted before: how it was counted (bytes and counts above are what it added). */
  readonly growth?: GrowthNote;
}

/** How one object ended. `failed` is final (permanent input error); transient errors are thrown instead. */
export type ScanOutcome =
  | { readonly status: 'done'; readonly summary: FileSummary }
  | { readonly status: 'duplicate'; readonly previous: 'done' | 'failed' }
  | { readonly status: 'failed'; readonly errorCode: ErrorCode }
  | { readonly status: 'skipped'; readonly reason: 'folder' | 'empty' };

/** Input errors that no retry can fix: record them, count them, do not retry. */
const PERMANENT: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'TRUNCATED_GZIP',
  'CORRUPT_GZIP',
  'UNKNOWN_FORMAT',
  'UNREADABLE_FILE',
  'OBJECT_NOT_FOUND',
  'PLAN_CHANGED',
  'METRICS_REJECTED',
]);

/** The error as a permanent input error, or null when a retry may succeed. */
const asPermanent = (e: unknown): SipMetricsError | null => {
  if (e instanceof SipMetricsError) return PERMANENT.has(e.code) ? e : null;
  return null;
};

/** What a version added: its counts, less what the previous version counted of the bytes read again. */
const netCounts = (
  r: ScanResult,
  minus: ScanResult | undefined,
): {
  bytes: number;
  responses: number;
  byClass: ScanResult['byClass'];
  retransmittedResponses: number;
  untimedResponses: number;
} => {
  if (minus === undefined) {
    return {
      bytes: r.bytes,
      responses: r.responses,
      byClass: r.byClass,
      retransmittedResponses: r.retransmissions.responses,
      untimedResponses: r.responses - r.timedResponses,
    };
  }
  const byClass = { ...r.byClass };
  for (const c of Object.keys(byClass) as (keyof typeof byClass)[]) byClass[c] -= minus.byClass[c];
  return {
    bytes: r.bytes - minus.bytes,
    responses: r.responses - minus.responses,
    byClass,
    retransmittedResponses: r.retransmissions.responses - minus.retransmissions.responses,
    untimedResponses: r.responses - r.timedResponses - (minus.responses - minus.timedResponses),
  };
};

/**
 * Sends the batches not acknowledged yet, at most `concurrency` at a time. The first error stops new sends, and
 * is thrown once the sends in flight have ended (so no send outlives the attempt that released the lease).
 */
const publishPending = async (
  pending: readonly number[],
  concurrency: number,
  sendOne: (index: number) => Promise<void>,
): Promise<void> => {
  let failure: { readonly error: unknown } | undefined;
  await pMap(
    pending,
    async (index) => {
      if (failure !== undefined) return;
      try {
        await sendOne(index);
      } catch (e) {
        failure ??= { error: e };
      }
    },
    { concurrency },
  );
  if (failure !== undefined) throw failure.error;
};

/** The claim a version holds while it is counted and published. */
type Claimed = Extract<ClaimResult, { kind: 'claimed' }>;

/** One claimed version on its way through runScan: who holds it, since when, and for how long. */
interface Attempt {
  readonly ref: ObjectRef;
  readonly id: LedgerId;
  readonly owner: string;
  readonly started: number;
  readonly leaseMs: number;
  readonly claim: Claimed;
  readonly where: { readonly bucket: string; readonly key: string };
  readonly deps: RunScanDeps;
  readonly now: () => number;
}

/** A folder key or a zero-byte object holds nothing to count: skipped before any ledger write. */
const skipReason = (ref: ObjectRef, log: LogSink): ScanOutcome | null => {
  const where = { bucket: ref.bucket, key: ref.key };
  if (ref.key.endsWith('/')) {
    log.info('skipped a folder key', where);
    return { status: 'skipped', reason: 'folder' };
  }
  if (ref.size === 0) {
    log.info('skipped a zero-byte object', where);
    return { status: 'skipped', reason: 'empty' };
  }
  return null;
};

/**
 * The ledger id of the version to count. Every S3 notification names an ETag; an event without one is keyed by
 * the object's current ETag. An object gone before the HEAD has no version to key a ledger item by: its failure
 * is counted once per delivery.
 */
const resolveVersion = async (
  ref: ObjectRef,
  deps: RunScanDeps,
  now: () => number,
): Promise<LedgerId | ScanOutcome> => {
  const id: LedgerId = { bucket: ref.bucket, key: ref.key, versionId: ref.versionId, eTag: ref.eTag };
  if (ref.versionId || ref.eTag) return id;
  try {
    return { ...id, eTag: (await deps.source.head(ref)).eTag };
  } catch (e) {
    const permanent = asPermanent(e);
    if (permanent === null) throw e;
    await deps.sink.send(fileFailedPoints(now(), permanent.code));
    deps.log.error('file failed permanently: not retried', {
      bucket: ref.bucket,
      key: ref.key,
      errorCode: permanent.code,
      reason: permanent.message,
    });
    return { status: 'failed', errorCode: permanent.code };
  }
};

/** Claims the version in the ledger: a finished version is a duplicate, one held by another invocation is retried later. */
const claimVersion = async (
  ref: ObjectRef,
  id: LedgerId,
  deps: RunScanDeps,
  now: () => number,
): Promise<Attempt | ScanOutcome> => {
  const where = { bucket: ref.bucket, key: ref.key };
  const owner = randomUUID();
  const started = now();
  const leaseMs = deps.leaseMs();
  const claim = await deps.ledger.claim(id, owner, started, leaseMs);
  if (claim.kind === 'done' || claim.kind === 'failed') {
    deps.log.info('duplicate delivery of a finished object: skipped', { ...where, previous: claim.kind });
    return { status: 'duplicate', previous: claim.kind };
  }
  if (claim.kind === 'busy') {
    throw new LeaseHeldError(
      `s3://${ref.bucket}/${ref.key}: another invocation is processing this object; retry after ${new Date(
        claim.leaseExpiresAtMs,
      ).toISOString()}`,
      { ...where, leaseExpiresAtMs: claim.leaseExpiresAtMs },
    );
  }
  return { ref, id, owner, started, leaseMs, claim, where, deps, now };
};

/**
 * Counts the claimed version. The scan options a whole upload gets (its LastModified completes the dates the log
 * leaves out) are chosen in countVersion, which also scans a grown version's earlier part with those of the
 * version that counted it.
 */
const scanVersion = async (a: Attempt): Promise<{ counted: CountedVersion; scanMs: number }> => {
  const { deps, now } = a;
  const scanStarted = now();
  const counted = await countVersion(a.ref, a.id, a.owner, {
    source: deps.source,
    keyProgress: deps.keyProgress,
    log: deps.log,
    peers: deps.peers,
    // KPIs no metric publishes are not worth their 13–22 % of a text scan's work
    kpis: deps.kpiMetrics,
    timeZone: zoneForKey(a.ref.key, deps.logTimeZones),
    nowMs: a.started,
    refTimeMs: a.claim.refTimeMs,
    leaseMs: a.leaseMs,
  });
  return { counted, scanMs: Math.max(1, now() - scanStarted) };
};

/** What planPublish decided: the datums, their batches, and how many log times were restamped. */
interface PublishPlan {
  readonly points: readonly MetricPoint[];
  readonly batches: readonly MetricPoint[][];
  readonly restampedResponses: number;
  /** One batch, acknowledged by the write that completes the file (no plan recorded, no separate ack). */
  readonly single: boolean;
}

/**
 * Turns the counts into datums and batches, and checks them against what an earlier attempt sent. A resumed
 * version publishes what its scan counted beyond what the previous version's scan of the same bytes did, taken
 * back where that version put it (its upload minute for untimed responses, its processing minute).
 */
const planPublish = async (a: Attempt, counted: CountedVersion): Promise<PublishPlan> => {
  const { claim, where, deps, now } = a;
  const uploadTimeMs = counted.times.uploadTimeMs ?? claim.refTimeMs;
  const pointOptions = {
    detail: deps.detail,
    uploadTimeMs,
    nowMs: claim.refTimeMs,
    peerMetrics: deps.peerMetrics,
    kpiMetrics: deps.kpiMetrics,
  };
  const converted = toMetricPoints(counted.result, pointOptions);
  if (converted.restampedResponses > 0) {
    deps.log.warn('log times outside the CloudWatch window: stamped with the processing time', {
      ...where,
      restampedResponses: converted.restampedResponses,
      firstMinute: converted.restampedRange?.[0],
      lastMinute: converted.restampedRange?.[1],
    });
  }
  const counts =
    counted.minus === undefined
      ? converted.points
      : deltaPoints(
          converted.points,
          toMetricPoints(counted.minus, {
            ...pointOptions,
            uploadTimeMs: counted.minusTimes?.uploadTimeMs ?? uploadTimeMs,
            nowMs: counted.minusTimes?.nowMs ?? claim.refTimeMs,
          }).points,
        );
  const points: MetricPoint[] = [...counts, processingLagPoint(uploadTimeMs, now())];
  const batches = deps.sink.plan(points);
  const digest = planDigest(batches);
  const ackedBefore = [...claim.acked].filter((i) => i !== FAILED_BATCH_INDEX);
  if (ackedBefore.length > 0 && claim.planDigest !== digest) {
    throw new PlanChangedError(
      `s3://${where.bucket}/${where.key}: ${ackedBefore.length} metric batches were sent by an earlier attempt, but this ` +
        'attempt computed different batches (METRIC_DETAIL or the engine changed in between); totals may be partial',
      { ...where, ackedBefore: ackedBefore.length },
    );
  }
  // A single batch can be acknowledged by the same write that completes the file (no plan to record, no ack of its
  // own), but only when nothing else is written between its send and that write: the key's progress is (growing
  // logs), and a passing failure of that write after the send would have the retry send the whole file again.
  const single = batches.length === 1 && ackedBefore.length === 0 && deps.keyProgress === undefined;
  if (!single && claim.planDigest !== digest) await deps.ledger.recordPlan(a.id, a.owner, digest, batches.length);
  return { points, batches, restampedResponses: converted.restampedResponses, single };
};

/** Sends the batches not acknowledged yet, `publishConcurrency` at a time; `sent.calls` counts the calls made (also when one fails). */
const publishBatches = async (a: Attempt, plan: PublishPlan, sent: { calls: number }): Promise<void> => {
  const { deps } = a;
  const pending = plan.batches.map((_, i) => i).filter((i) => !a.claim.acked.has(i));
  await publishPending(pending, deps.publishConcurrency, async (i) => {
    await deps.sink.send(plan.batches[i] ?? []);
    sent.calls++;
    if (!plan.single) await deps.ledger.ack(a.id, a.owner, i);
  });
};

/** The file summary logged and stored once the version is done. */
const summarize = (
  a: Attempt,
  counted: CountedVersion,
  plan: PublishPlan,
  calls: number,
  scanMs: number,
  durationMs: number,
): FileSummary => {
  const { result, minus } = counted;
  const net = netCounts(result, minus);
  return {
    ...a.where,
    bytes: net.bytes,
    formats: result.formats,
    responses: net.responses,
    responsesByClass: net.byClass,
    // a resumed version's ratios are those of the part it scanned (from its resume offset on); none when not tracked
    ...(a.deps.kpiMetrics
      ? { kpis: { inviteTransactions: result.kpis.inviteTransactions, ...kpiRatios(result.kpis) } }
      : {}),
    retransmittedResponses: net.retransmittedResponses,
    anomalies: result.anomalies,
    restampedResponses: plan.restampedResponses,
    untimedResponses: net.untimedResponses,
    datums: plan.points.length,
    batches: plan.batches.length,
    calls,
    attempt: a.claim.attempt,
    durationMs,
    mbPerSecond: Math.round((result.bytes / 1e6 / (scanMs / 1000)) * 10) / 10,
    ...(counted.growth === undefined ? {} : { growth: counted.growth }),
  };
};

/**
 * Records the key's progress and marks the version done. The key's progress is recorded (and the key freed) once
 * every batch is acknowledged; a crash before the version is completed leaves the progress naming this version,
 * and its retry counts from the same base again.
 */
const completeVersion = async (
  a: Attempt,
  counted: CountedVersion,
  plan: PublishPlan,
  summary: FileSummary,
): Promise<ScanOutcome> => {
  const { deps, now } = a;
  await counted.commit(plan.restampedResponses > 0);
  await deps.ledger.complete(a.id, a.owner, now(), JSON.stringify(summary), plan.single ? 0 : undefined);
  deps.log.info('file processed', { ...summary });
  return { status: 'done', summary };
};

/** What a failed file held before its error (a truncated gzip's members before the cut): counts only, not published. */
export interface PartialSummary {
  readonly bytes: number;
  readonly formats: readonly string[];
  readonly responses: number;
  readonly responsesByClass: ScanResult['byClass'];
  readonly anomalies: ScanResult['anomalies'];
}

const partialSummary = (e: SipMetricsError): PartialSummary | undefined => {
  const r = partialResultOf(e);
  if (r === undefined) return undefined;
  return {
    bytes: r.bytes,
    formats: r.formats,
    responses: r.responses,
    responsesByClass: r.byClass,
    anomalies: r.anomalies,
  };
};

/**
 * Ends an attempt that threw. A transient error is thrown again for the delivery to be retried (the lease is
 * released first, unless it was lost); a permanent input error is counted once and recorded as `failed`.
 */
const failVersion = async (a: Attempt, e: unknown, calls: number): Promise<ScanOutcome> => {
  const { deps, now } = a;
  const permanent = asPermanent(e);
  if (permanent === null) {
    // the key's lease stays: only this version's retry may take it over at once (it may have published batches)
    if (!(e instanceof SipMetricsError && e.code === 'LEASE_LOST')) await deps.ledger.release(a.id, a.owner);
    throw e;
  }
  await deps.keyProgress?.release(a.ref.bucket, a.ref.key, a.owner);
  // the FilesFailed datum goes through the ledger too, so a crash here does not count the file twice
  if (!a.claim.acked.has(FAILED_BATCH_INDEX)) {
    await deps.sink.send(fileFailedPoints(a.claim.refTimeMs, permanent.code));
    await deps.ledger.ack(a.id, a.owner, FAILED_BATCH_INDEX);
  }
  const partial = partialSummary(permanent);
  await deps.ledger.fail(
    a.id,
    a.owner,
    now(),
    permanent.code,
    permanent.message,
    partial === undefined ? undefined : JSON.stringify(partial),
  );
  deps.log.error('file failed permanently: not retried', {
    ...a.where,
    errorCode: permanent.code,
    reason: permanent.message,
    attempt: a.claim.attempt,
    calls,
    ...(partial === undefined ? {} : { partial }),
  });
  return { status: 'failed', errorCode: permanent.code };
};

const isOutcome = (v: object): v is ScanOutcome => 'status' in v;

/**
 * The one composition: claim the object in the ledger, stream it through the engine, publish the batches
 * CloudWatch has not acknowledged yet, and mark the object done. Throws on transient errors (the caller lets
 * the delivery be retried); permanent input errors end as `failed`.
 */
export const runScan = async (ref: ObjectRef, deps: RunScanDeps): Promise<ScanOutcome> => {
  const now = deps.now ?? Date.now;
  const skipped = skipReason(ref, deps.log);
  if (skipped !== null) return skipped;
  const id = await resolveVersion(ref, deps, now);
  if (isOutcome(id)) return id;
  const attempt = await claimVersion(ref, id, deps, now);
  if (isOutcome(attempt)) return attempt;
  const sent = { calls: 0 };
  try {
    const { counted, scanMs } = await scanVersion(attempt);
    const plan = await planPublish(attempt, counted);
    await publishBatches(attempt, plan, sent);
    const summary = summarize(attempt, counted, plan, sent.calls, scanMs, now() - attempt.started);
    return await completeVersion(attempt, counted, plan, summary);
  } catch (e) {
    return failVersion(attempt, e, sent.calls);
  }
};
