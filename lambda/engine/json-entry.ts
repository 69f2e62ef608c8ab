import { findLogStamp, type LogStamp } from './log-stamp.js';

/**
 * The text a program wrote and its time, out of one parsed JSON log record, whichever way the records are laid out
 * in the file: one per line (json-lines.ts) or pretty-printed, back to back or inside a wrapper (json-objects.ts).
 */

/** The fields that hold the text, by the tools that write them, and the fields of its time (the first present). */
const TEXT_FIELDS: readonly (readonly [text: string, times: readonly string[]])[] = [
  ['log', ['time']],
  ['MESSAGE', ['__REALTIME_TIMESTAMP']],
  // ECS / Filebeat / fluent-bit (`@timestamp`); CloudWatch Logs events as `aws logs filter-log-events` and
  // `get-log-events` print them (`timestamp`, milliseconds since the epoch as a number)
  ['message', ['@timestamp', 'timestamp']],
  // Kamailio's JSON log engine in its CEE form (`log_engine_data` "U"), pino's and bunyan's lines
  ['msg', ['time']],
];

/** Kamailio's level names (core/dprint.c log_level_info), as its JSON log engine writes them. */
const KAMAILIO_LEVELS: ReadonlySet<string> = new Set([
  'ALERT',
  'BUG',
  'CRITICAL',
  'ERROR',
  'WARNING',
  'NOTICE',
  'INFO',
  'DEBUG',
]);

/**
 * The level of a record of Kamailio's JSON log engine (`--log-engine=json`: `level`, `module`, `logprefix` and
 * `message`; its CEE form `pri`, `subsys` and `msg`), or undefined for any other object. Kamailio puts the script's
 * text before a message's start line (`xlog("RCV $si:$sp: $mb")`); on stderr the level before it tells the Kamailio
 * reader (formats/kamailio-log.ts) to look for the start line there, so the level is put back before the text.
 */
const kamailioLevel = (fields: Readonly<Record<string, unknown>>): string | undefined => {
  const level =
    typeof fields.module === 'string' && typeof fields.logprefix === 'string'
      ? fields.level
      : typeof fields.subsys === 'string'
        ? fields.pri
        : undefined;
  return typeof level === 'string' && KAMAILIO_LEVELS.has(level) ? level : undefined;
};

const LF = 0x0a;
const NEWLINE = Buffer.from('\n', 'latin1');
/** What ends a journal entry of several lines: journald trimmed the message's last line ends (log-prefix.ts). */
const ENTRY_END = Buffer.from('\n\r\n', 'latin1');

/** The text and time of one record. */
export interface JsonEntry {
  readonly text: Buffer;
  readonly stamp: LogStamp | undefined;
}

/** The text of a field: a string (UTF-8, as the writer encoded the program's bytes) or journald's byte values. */
const textOf = (v: unknown): Buffer | undefined => {
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (Array.isArray(v) && v.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) return Buffer.from(v as number[]);
  return undefined;
};

/** Epoch numbers below this are seconds, from it on milliseconds (1e11 s is the year 5138, 1e11 ms 1973). */
const EPOCH_MS_FROM = 1e11;
/** Epoch numbers from this on are no time this reads (microseconds and nanoseconds are written as strings). */
const EPOCH_MS_UNTIL = 1e14;

/**
 * The time of a field: an RFC 3339 time (Docker's nanoseconds included), journald's microseconds since the epoch
 * (a string of digits), or a number of seconds or milliseconds since the epoch (CloudWatch Logs' `timestamp`).
 */
const stampOf = (v: unknown): LogStamp | undefined => {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v <= 0 || v >= EPOCH_MS_UNTIL) return undefined;
    return { kind: 'utc', wallMs: Math.floor(v < EPOCH_MS_FROM ? v * 1000 : v) };
  }
  if (typeof v !== 'string') return undefined;
  return realtimeStamp(v) ?? findLogStamp(v);
};

/** journald's `__REALTIME_TIMESTAMP` (microseconds since the epoch, in decimal), or undefined for any other text. */
export const realtimeStamp = (v: string): LogStamp | undefined =>
  /^\d{1,16}$/.test(v) ? { kind: 'utc', wallMs: Math.floor(Number(v) / 1000) } : undefined;

/**
 * The text and time of a parsed JSON value when it is a log record (an object with one of the text fields), else
 * undefined. `syslogTime`: the time of a syslog prefix the object followed, for an object that has none of its own.
 */
export const jsonEntryOf = (value: unknown, syslogTime?: string): JsonEntry | undefined => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const fields = value as Record<string, unknown>;
  for (const [textField, timeFields] of TEXT_FIELDS) {
    const own = textOf(fields[textField]);
    if (own === undefined) continue;
    let stamp: LogStamp | undefined;
    for (const f of timeFields) {
      stamp = stampOf(fields[f]);
      if (stamp !== undefined) break;
    }
    stamp ??= syslogTime === undefined ? undefined : findLogStamp(syslogTime);
    const level = kamailioLevel(fields);
    const text = level === undefined ? own : Buffer.concat([Buffer.from(`${level}: `, 'latin1'), own]);
    // Docker keeps each line's "\n" in `log` and leaves it out of the parts of a line over 16 KiB: its text is joined
    // as it is; every other writer drops the line end
    const docker = textField === 'log' && typeof fields.stream === 'string';
    return { text: docker ? text : withLineEnd(text), stamp };
  }
  return undefined;
};

/**
 * A record's text with the line end its writer dropped put back (journald, Filebeat, fluent-bit's tail): one LF, and
 * after a text of several lines (a whole SIP message a proxy logged, its last CRLFs trimmed) a blank line too. A
 * text that ends in LF kept its own.
 */
export const withLineEnd = (text: Buffer): Buffer => {
  if (text[text.length - 1] === LF) return text;
  return Buffer.concat([text, text.includes(LF) ? ENTRY_END : NEWLINE]);
};

/**
 * Whether a parsed value is a journald record whose MESSAGE journalctl left out: `-o json` and `json-pretty` write a
 * field over 4,096 bytes (a SIP message with SDP) as null unless given `--all`. Its message is lost: the scan says so
 * (`message-too-large`) rather than pass the record on as text no reader knows.
 */
export const isOmittedJournalMessage = (value: unknown): boolean => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const fields = value as Record<string, unknown>;
  return fields.MESSAGE === null && typeof fields.__CURSOR === 'string';
};
