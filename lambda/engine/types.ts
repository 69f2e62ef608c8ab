import type { LogStamp } from './log-stamp.js';

/** Shared types of the pure engine: bytes in, counts out. */

/** Transport a message travelled over, when the log says so. */
export type Transport = 'udp' | 'tcp' | 'tls' | 'sctp' | 'ws' | 'unknown';

// the response classes are part of the published contract; the engine's modules keep importing them from here
export { RESPONSE_CLASSES, type ResponseClass } from '../contract/classes.js';

/** Every input format the engine can recognise; a file may hold several. */
export type Format =
  | 'gzip'
  /** Text saved as UTF-16 (Windows PowerShell's `>`), decoded to UTF-8 before it was read. */
  | 'utf-16'
  /** One JSON object per line (Docker's json-file, journalctl -o json): the text taken out of each before it was read. */
  | 'json-lines'
  /** JSON log records not one per line (journalctl -o json-pretty, Kamailio's json:N, a CloudWatch Logs export). */
  | 'json-objects'
  /** journald's export format (journalctl -o export): each entry's MESSAGE read. */
  | 'journal-export'
  /** journalctl -o verbose (with -a): each entry's MESSAGE read. */
  | 'journal-verbose'
  | 'pcap'
  | 'pcapng'
  | 'sip'
  | 'ngrep'
  | 'sipp'
  | 'pjsip'
  | 'chan-sip'
  | 'freeswitch'
  | 'sipdump'
  | 'acc'
  | 'tcpdump-ascii'
  | 'jain-sip-xml'
  /** sngrep's text export (Save as .txt). */
  | 'sngrep'
  /** baresip's SIP trace (`baresip -s`). */
  | 'baresip'
  /** Kamailio log lines that print a whole message (xlog of $mb or $snd(buf)), on stderr or through rsyslog. */
  | 'kamailio-log'
  /** Raw HEP3 packets back to back (Homer), not inside a capture. */
  | 'hep';

/** Kinds of broken or suspicious input, each counted apart. */
export type AnomalyKind =
  | 'invalid-status-code'
  | 'truncated-status-line'
  | 'truncated-message'
  | 'truncated-body'
  | 'missing-cseq'
  | 'message-too-large'
  | 'line-too-long'
  | 'stream-garbage'
  | 'stream-gap'
  /** A TCP message the capture never completed (end of capture, FIN or RST, a lost segment): not counted, as in tshark. */
  | 'stream-cut'
  | 'truncated-gzip'
  | 'gzip-trailing-garbage'
  | 'truncated-capture'
  | 'unsupported-link-type'
  | 'ip-fragment-incomplete'
  | 'malformed-packet'
  | 'corrupt-capture'
  /** A Content-Length ran past the message size limit or the end of input: the body was cut at the next start line. */
  | 'resync'
  /** A time the log gave cannot be represented (e.g. sipdump `time:` 17954979707284913): the message is untimed. */
  | 'invalid-time'
  /** Text read as a log format from which no SIP message (and no SIP anomaly) was read: a misread, or a log of other traffic. */
  | 'no-sip-message'
  /** A packet a text dump printed whose payload could not be told from its headers (tcpdump -q -A): not read. */
  | 'unreadable-packet'
  /**
   * A run of NUL bytes where a text log's line starts: a file truncated under a writer that kept its offset
   * (logrotate's copytruncate), a block a crash left zeroed. Skipped; the log goes on after it.
   */
  | 'nul-bytes';

/** Where and when a payload was seen, as far as the log tells. */
export interface PayloadMeta {
  /** Milliseconds since the epoch (UTC), if the log carries an absolute time. */
  readonly timeMs?: number;
  /** The time as the log printed it (local, or without a date), when `timeMs` is not known: the file's LogClock places it. */
  readonly stamp?: LogStamp;
  /** Sender address ("ip:port", or a direction word such as "local" when the log only says sent/received). */
  readonly src?: string;
  /** Receiver address, same conventions as `src`. */
  readonly dst?: string;
  readonly transport: Transport;
  /**
   * `src`'s and `dst`'s numbers in the process's numbering of names (endpoint-ids.ts), when the reader has them
   * (-1: the numbering is full); undefined when it does not, and the counting side looks the name up.
   */
  readonly srcId?: number;
  readonly dstId?: number;
}

/** One SIP message found in the input. Strings are interned or sliced; no body is kept. */
export interface SipMessage {
  readonly kind: 'request' | 'response';
  /** Request method (requests only). */
  readonly method?: string;
  /** Status code (responses only); may lie outside 100..699, which is an anomaly. */
  readonly statusCode?: number;
  readonly cseqNumber?: number;
  readonly cseqMethod?: string;
  /**
   * `method`'s and `cseqMethod`'s numbers in the process's numbering of method tokens (method-ids.ts), when the parser
   * numbered them (-1 or undefined: look the string up).
   */
  readonly methodId?: number;
  readonly cseqMethodId?: number;
  readonly callId?: string;
  /** Transport named by the top Via, used when the log does not say. */
  readonly viaTransport?: Transport;
  /** The top Via field value: tells the hops of a proxied response apart when the log names no addresses. */
  readonly topVia?: string;
  /** The Date header field value (RFC 3261 §20.17), the time of messages a log prints none for. */
  readonly date?: string;
  /**
   * The parser's fast path: where Call-ID, top Via and Date lie in the bytes it read, instead of the three strings
   * above (then undefined). Valid only during the synchronous call the message is handed to: the parser reuses the
   * record and the scanner its buffer, so nothing may keep it (or a view of its buffer) after that call.
   */
  readonly bytes?: MessageBytes;
}

/** Where a message's identifying header values lie in a buffer ([start, end) offsets; start -1 when absent). */
export interface MessageBytes {
  readonly buf: Buffer;
  readonly callIdStart: number;
  readonly callIdEnd: number;
  /** The top Via field value. */
  readonly viaStart: number;
  readonly viaEnd: number;
  /** The branch parameter of the top Via (RFC 3261 §20.42); empty when it has none (RFC 2543 peers). */
  readonly branchStart: number;
  readonly branchEnd: number;
  readonly dateStart: number;
  readonly dateEnd: number;
}

/** A final response known only from an accounting record (no message trace). */
export interface AccountedResponse {
  readonly statusCode: number;
  readonly cseqMethod: string;
  readonly callId?: string;
  readonly timeMs?: number;
}
