/**
 * The small interfaces runScan (and lambda/growth) talk through. Adapters implement them over AWS (`adapters/`),
 * the CLI over files, tests over the local emulators; run-scan.ts and growth/ import only these, never an adapter,
 * so the composition reads the same whatever stands behind it. Types only: no SDK types, no I/O.
 */
import type { LedgerId } from './contract/ledger.js';
import type { KeyProgress } from './growth/growing-scan.js';
import type { MetricPoint } from './metrics/metric-point.js';

/** One object version named by an event (or by a person); the key is already URL-decoded. */
export interface ObjectRef {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  /** Without quotes, as S3 event notifications give it. */
  readonly eTag?: string;
  readonly size?: number;
  /** When S3 finished the upload (the event time). */
  readonly uploadTimeMs?: number;
  /** The S3 event's sequencer: orders the events of one key (hex, compared after padding). */
  readonly sequencer?: string;
  /** Read from this byte on (a ranged GetObject): a grown log is read from its resume point only. */
  readonly fromByte?: number;
}

/** An opened object: its bytes as a stream, never buffered whole. */
export interface OpenedObject {
  readonly body: AsyncIterable<Uint8Array>;
  readonly size: number;
  readonly lastModifiedMs?: number;
  readonly eTag?: string;
}

/** Reads objects; maps "gone" to ObjectNotFoundError, lets every other failure through as transient. */
export interface ObjectSource {
  /** The current ETag and size, for events that name no version (rare: every S3 event has an eTag). */
  head(ref: ObjectRef): Promise<{ eTag: string; size: number; lastModifiedMs?: number }>;
  open(ref: ObjectRef): Promise<OpenedObject>;
}

/** Sends metric datums; batches are planned up front so a redelivery can skip the acknowledged ones. */
export interface MetricSink {
  /** Splits datums into calls within the API limits; the same datums always give the same batches. */
  plan(points: readonly MetricPoint[]): MetricPoint[][];
  /** Sends one batch in one call (the CloudWatch adapter's SDK retries throttling and 5xx with backoff). */
  send(batch: readonly MetricPoint[]): Promise<void>;
}

/** What a claim found. */
export type ClaimResult =
  | {
      readonly kind: 'claimed';
      /** Processing time fixed at the first claim: every attempt stamps the same datums the same way. */
      readonly refTimeMs: number;
      readonly attempt: number;
      /** Batch indexes CloudWatch acknowledged in earlier attempts. */
      readonly acked: ReadonlySet<number>;
      readonly planDigest?: string;
    }
  | { readonly kind: 'done'; readonly summary: string }
  | { readonly kind: 'failed'; readonly errorCode: string }
  | { readonly kind: 'busy'; readonly leaseExpiresAtMs: number };

/** Exactly-once bookkeeping of objects; every write is conditional on the caller holding the lease. */
export interface Ledger {
  claim(id: LedgerId, owner: string, nowMs: number, leaseMs: number): Promise<ClaimResult>;
  recordPlan(id: LedgerId, owner: string, digest: string, batchCount: number): Promise<void>;
  ack(id: LedgerId, owner: string, batchIndex: number): Promise<void>;
  /** Marks the object done; `ackBatch` acknowledges a last batch in the same write. */
  complete(id: LedgerId, owner: string, nowMs: number, summary: string, ackBatch?: number): Promise<void>;
  /** Marks the object failed for good; `partial`: a summary of what was counted before the error (JSON), kept with it. */
  fail(id: LedgerId, owner: string, nowMs: number, errorCode: string, message: string, partial?: string): Promise<void>;
  /** Lets a retry take over at once after a transient failure (best effort). */
  release(id: LedgerId, owner: string): Promise<void>;
}

/** What the key item held when this version took the key. */
export type KeyHold =
  | {
      readonly kind: 'held';
      /** Progress after the last version committed for this key. */
      readonly progress?: KeyProgress;
      /** The progress that last version was counted from (its retry must count from the same place). */
      readonly base?: KeyProgress;
      /** Ledger key of the version that committed `progress`. */
      readonly committedBy?: string;
      /** Another version whose lease on the key ran out before it committed: it may have published part of its counts. */
      readonly abandonedBy?: string;
    }
  | { readonly kind: 'busy'; readonly heldBy: string; readonly leaseExpiresAtMs: number };

/** Per bucket+key progress of growing logs; one lease per key serialises the versions of one key. */
export interface KeyProgressStore {
  /**
   * Takes the key for the version `versionTag` (whose ledger claim the caller holds). The key is free, its lease
   * ran out, or the same version holds it: a retry of a version that crashed takes the key over at once, since the
   * version's own claim already proves the earlier attempt is gone.
   */
  acquire(
    bucket: string,
    key: string,
    versionTag: string,
    owner: string,
    nowMs: number,
    leaseMs: number,
  ): Promise<KeyHold>;
  /**
   * Records the progress after `versionTag`, counted from `base`, and frees the key; fails with LEASE_LOST when the
   * key was taken over.
   */
  commit(
    bucket: string,
    key: string,
    versionTag: string,
    owner: string,
    progress: KeyProgress | undefined,
    base: KeyProgress | undefined,
  ): Promise<void>;
  /** Lets the next version of the key go (best effort). */
  release(bucket: string, key: string, owner: string): Promise<void>;
}

/** Structured log lines: the Lambda's Powertools logger, the CLI's stderr logger and tests' collectors all fit. */
export interface LogSink {
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
  error(message: string, ...attributes: Record<string, unknown>[]): void;
}
