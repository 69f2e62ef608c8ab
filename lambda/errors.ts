/** Stable error codes; callers branch on these, never on message text. */
export type ErrorCode =
  | 'UNREADABLE_FILE'
  | 'NOT_GZIP'
  | 'TRUNCATED_GZIP'
  | 'CORRUPT_GZIP'
  | 'UNKNOWN_FORMAT'
  | 'CONFIG'
  | 'OBJECT_NOT_FOUND';

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

/** A file named .gz that is not gzip. */
export class NotGzipError extends SipMetricsError {
  constructor(message: string, context: Readonly<Record<string, unknown>> = {}) {
    super('NOT_GZIP', message, context);
  }
}

/** A file that cannot be opened or read. */
export class UnreadableFileError extends SipMetricsError {
  constructor(message: string, context: Readonly<Record<string, unknown>> = {}) {
    super('UNREADABLE_FILE', message, context);
  }
}
