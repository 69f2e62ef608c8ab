/**
 * The published contract of `sip-metrics scan --json`: one line per input, each one of the shapes below. The zod
 * schema is the single definition: `to-json-line.ts` builds its report typed by it, `npm run schema` writes the JSON
 * Schema generated from it to `schema/scan-result.schema.json`, and the tests validate real CLI output with it.
 * Every object is strict: a field added to the output without being added here fails the tests.
 */
import { z } from 'zod';
import type { AnomalyKind, Format } from '../../engine/types.js';

/** The list as given, accepted by the compiler only when it names every member of `Union`. */
const everyMember =
  <Union>() =>
  <const List extends readonly Union[]>(
    list: List & ([Exclude<Union, List[number]>] extends [never] ? unknown : never),
  ) =>
    list;

// a format or anomaly kind added to the engine's unions fails to compile here until the contract names it too
/** Every input format, as `formats` lists them. */
const FORMATS = everyMember<Format>()([
  'gzip',
  'utf-16',
  'json-lines',
  'json-objects',
  'journal-export',
  'journal-verbose',
  'pcap',
  'pcapng',
  'sip',
  'ngrep',
  'sipp',
  'pjsip',
  'chan-sip',
  'freeswitch',
  'sipdump',
  'acc',
  'tcpdump-ascii',
  'jain-sip-xml',
  'sngrep',
  'baresip',
  'kamailio-log',
  'hep',
]);

/** Every kind of broken or suspicious input, as `anomalies` keys them. */
const ANOMALY_KINDS = everyMember<AnomalyKind>()([
  'invalid-status-code',
  'truncated-status-line',
  'truncated-message',
  'truncated-body',
  'missing-cseq',
  'message-too-large',
  'line-too-long',
  'stream-garbage',
  'stream-gap',
  'stream-cut',
  'truncated-gzip',
  'gzip-trailing-garbage',
  'truncated-capture',
  'unsupported-link-type',
  'ip-fragment-incomplete',
  'malformed-packet',
  'corrupt-capture',
  'resync',
  'invalid-time',
  'no-sip-message',
  'unreadable-packet',
  'nul-bytes',
]);

const count = z.int().nonnegative();
const percentOrNull = z.number().min(0).max(100).nullable();
const statusCode = z.string().regex(/^[1-6]\d\d$/);
const isoMinute = z.iso.datetime();

const byClass = z
  .strictObject({ '1xx': count, '2xx': count, '3xx': count, '4xx': count, '5xx': count, '6xx': count })
  .describe('Responses per class (RFC 3261 §7.2)');
const byCode = z.record(statusCode, count).describe('Responses per status code');
const byMethod = z.record(z.string(), z.record(statusCode, count)).describe('CSeq method -> status code -> responses');

const delaySummary = z
  .strictObject({
    count,
    mean: z.number().nullable(),
    p50: z.number().nullable(),
    p90: z.number().nullable(),
    p99: z.number().nullable(),
  })
  .describe('Milliseconds; null without a measurement');

const kpiRatios = {
  ser: percentOrNull.describe('Session Establishment Ratio, RFC 6076 §4.5 (percent)'),
  seer: percentOrNull.describe('Session Establishment Effectiveness Ratio, RFC 6076 §4.6 (percent)'),
  isa: percentOrNull.describe('Ineffective Session Attempts, RFC 6076 §4.7 (percent)'),
  scr: percentOrNull.describe('Session Completion Ratio, RFC 6076 §4.9 (percent)'),
};

/** KPIs of one minute, by the INVITE time of each transaction. */
export const kpiMinuteReportSchema = z.strictObject({ minute: isoMinute, inviteTransactions: count, ...kpiRatios });

const kpis = z
  .strictObject({
    inviteTransactions: count,
    ...kpiRatios,
    srdMs: delaySummary.describe('Session Request Delay, RFC 6076 §4.1'),
    sddMs: delaySummary.describe('Session Disconnect Delay, RFC 6076 §4.3'),
    rrdMs: delaySummary.describe('Registration Request Delay, RFC 6076 §4.1'),
    perMinute: z.array(kpiMinuteReportSchema).optional().describe('With --per-minute only'),
  })
  .describe('RFC 6076 call-level KPIs');

const minuteCounts = z.strictObject({
  minute: isoMinute,
  byClass,
  byCode,
  byMethod,
  retransmittedByClass: byClass,
  byPeer: z.record(z.string(), byClass),
});

const scanError = z.strictObject({
  code: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]*$/)
    .describe('A stable error code, e.g. TRUNCATED_GZIP'),
  message: z.string(),
});

/** The report of one scanned input; `error` when the scan stopped early (the counts are what it read until then). */
export const scanReportSchema = z
  .strictObject({
    file: z.string().describe('The path as given or found, or - for standard input'),
    formats: z.array(z.enum(FORMATS)),
    bytes: count,
    messages: count.describe('SIP messages seen; accounting records are responses but not messages'),
    requests: count,
    responses: count,
    accountedResponses: count.describe('Responses known only from accounting records (acc lines)'),
    byClass,
    byCode,
    byMethod,
    retransmissions: z.strictObject({ requests: count, responses: count }),
    anomalies: z.partialRecord(z.enum(ANOMALY_KINDS), count),
    unrecognizedBytes: count,
    timedResponses: count.describe('Responses that carried a time; the rest are untimed'),
    byPeer: z
      .record(
        z.string(),
        z.strictObject({
          responses: count,
          byClass,
          byCode,
          kpis: kpis
            .optional()
            .describe('With --by peer: the KPIs of the INVITE transactions this peer answered first'),
        }),
      )
      .describe('Responses by sender: a peer-map name, an IP, local, unknown or other'),
    seconds: z.number().nonnegative(),
    series: z.array(minuteCounts).optional().describe('Per minute of the log time; with --per-minute only'),
    kpis,
    error: scanError.optional(),
  })
  .describe('One scanned input');

/** An input that could not be scanned at all (nothing was counted). */
export const scanFailureSchema = z.strictObject({ file: z.string(), error: scanError }).describe('An unreadable input');

/** An empty input: skipped, as the function skips a zero-byte object. */
export const scanSkippedSchema = z
  .strictObject({ file: z.string(), skipped: z.literal('empty') })
  .describe('An empty input');

/** One line of `sip-metrics scan --json`. */
export const scanResultLineSchema = z
  .union([scanReportSchema, scanFailureSchema, scanSkippedSchema])
  .meta({ title: 'sip-metrics scan --json: one line' });

/** One line of `sip-metrics scan --json`, as TypeScript sees it. */
export type ScanResultLine = z.infer<typeof scanResultLineSchema>;

/** The report of one scanned input (`toJsonReport`). */
export type ScanReport = z.infer<typeof scanReportSchema>;

/** The JSON Schema (draft 2020-12) of one line, as `schema/scan-result.schema.json` holds it. */
export const scanResultJsonSchema = (): Record<string, unknown> =>
  z.toJSONSchema(scanResultLineSchema, { target: 'draft-2020-12' }) as Record<string, unknown>;
