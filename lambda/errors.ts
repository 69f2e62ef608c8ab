import type { ScanResult } from './engine/tally.js';
/** Stable error codes; callers branch on these, never on message text. */
export type ErrorCode =
  | 'UNREADABLE_FILE'
  | 'TRUNCATED_GZIP'
  | 'CORRUPT_GZIP'
  | 'UNKNOWN_FORMAT'
  | 'CONFIG'
  | 'OBJECT_NOT_FOUND'
  | 'LEASE_HELD'
  | 'LEASE_LOST'
  | 'PLAN_CHANGED'
  | 'BAD_EVENT'
  | 'METRICS_REJECTED'
  | 'UNWRITABLE_REPORT';

/** Base of every error this product raises on purpose. */
export class SipMetricsError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly context: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * What a scan counted before the error `e` stopped it (the engine puts it in `context.partial` of its coded errors):
 * reported with the error by the CLI, the Lambda's log and its ledger.
 */
export const partialResultOf = (e: unknown): ScanResult | undefined => {
  if (!(e instanceof SipMetricsError)) return undefined;
  const p = e.context.partial;
  return typeof p === 'object' && p !== null ? (p as ScanResult) : undefined;
};

/** The gzip stream ended before its trailer: what was read is in `context.partial`. */
export class TruncatedGzipError extends SipMetricsError {
  constructor(message: string, context: Readonly<Record<string, unknown>> = {}) {
    super('TRUNCATED_GZIP', message, context);
  }
}

/** The gzip stream is damaged (bad header, bad CRC, bad data). */
export class CorruptGzipError extends SipMetricsError {
  constructor(message: string, context: Readonly<Record<string, unknown>> = {}) {
    super('CORRUPT_GZIP', message, context);
  }
}

/** The input holds no SIP in any format we know. */
export class UnknownFormatError extends SipMetricsError {
  constructor(message: string, context: Readonly<Record<string, unknown>> = {}) {
    super('UNKNOWN_FORMAT', message, context);
  }
}

/** A file that cannot be opened or read. */
export class UnreadableFileError extends SipMetricsError {
  constructor(message: string, context: Readonly<Record<string, unknown>> = {}) {
    super('UNREADABLE_FILE', message, context);
  }
}

/** Environment configuration is invalid; the message lists every problem at once. */
export class ConfigError extends SipMetricsError {
  constructor(message: string, context: Readonly<Record<string, unknown>> = {}) {
    super('CONFIG', message, context);
  }
}

/** The object named by an event is gone (deleted or overwritten) before it could be read. */
export class ObjectNotFoundError extends SipMetricsError {
  constructor(message: string, context: Readonly<Record<string, unknown>> = {}) {
    super('OBJECT_NOT_FOUND', message, context);
  }
}

/** Another invocation holds an unexpired claim on the object: retry later. */
export class LeaseHeldError extends SipMetricsError {
  constructor(message: string, context: Readonly<Record<string, unknown>> = {}) {
    super('LEASE_HELD', message, context);
  }
}

/** Our claim on the object was taken over (it expired): stop before counting anything twice. */
export class LeaseLostError extends SipMetricsError {
  constructor(message: string, context: Readonly<Record<string, unknown>> = {}) {
    super('LEASE_LOST', message, context);
  }
}

/** A redelivery computed other metric batches than the ones already acknowledged (config or engine changed). */
export class PlanChangedError extends SipMetricsError {
  constructor(message: string, context: Readonly<Record<string, unknown>> = {}) {
    super('PLAN_CHANGED', message, context);
  }
}

/** An event (or SQS message body) of a shape the function does not handle. */
export class BadEventError extends SipMetricsError {
  constructor(message: string, context: Readonly<Record<string, unknown>> = {}) {
    super('BAD_EVENT', message, context);
  }
}

/**
 * CloudWatch refused a PutMetricData call with a validation error (HTTP 400 InvalidParameterValue,
 * InvalidParameterCombination, MissingParameter): the same datums are refused on every retry.
 */
export class MetricsRejectedError extends SipMetricsError {
  constructor(message: string, context: Readonly<Record<string, unknown>> = {}) {
    super('METRICS_REJECTED', message, context);
  }
}

/** `scan --html FILE` could not write FILE (a missing folder, no permission, a full disk). */
export class UnwritableReportError extends SipMetricsError {
  constructor(message: string, context: Readonly<Record<string, unknown>> = {}) {
    super('UNWRITABLE_REPORT', message, context);
  }
}

/**
 * The input is a tshark dissection (PDML, PSML, JSON, EK, `-V`, the one-line summaries), not a capture
 * or a SIP log: counting it would be wrong (a TCP message split, header fields read as messages).
 * Same code as any unreadable format, so callers need no new branch; `context.tsharkOutput` names it.
 */
export class TsharkOutputError extends UnknownFormatError {}
