import { lineText } from './line-utils.js';
import type { MatchContext, MatchResult, TextFormatReader } from './text-format.js';

/**
 * Kamailio / OpenSIPS `acc` module log records (syslog, or Kamailio's stderr with -E):
 *   ... ACC: transaction answered: timestamp=1795527567;method=INVITE;...;code=486;reason=Busy Here;...
 * Each "transaction answered" / "transaction failed" record is one final reply of that code and method. So is a
 * "call missed" record (log_missed_flag: an INVITE that failed), which is the only record of it when the
 * transaction's own flags do not log failures (Kamailio's stock kamailio.cfg sets FLT_ACC and FLT_ACCMISSED, not
 * FLT_ACCFAILED); when they do, the same reply is logged again right after it as "transaction answered", and the two
 * count once. "request acknowledged" is about an ACK and is not counted.
 */

const RECORD = /ACC: (transaction answered|transaction failed|call missed|request acknowledged|call ended)?:? ?(.*)$/;
const COUNTED = new Set(['transaction answered', 'transaction failed', 'call missed']);
const MISSED = 'call missed';

/**
 * The latest records of a scan by Call-ID, From tag, method and code, and whether each was "call missed": a
 * "call missed" record and a "transaction answered" one for the same reply are one reply logged twice. Kamailio logs
 * the missed call first and the answer in the same reply's processing, so only the most recent few can still meet
 * their twin; either order is taken.
 */
const recentOf = new WeakMap<MatchContext, Map<string, boolean>>();
const MAX_RECENT = 4096;

/** Whether the record `key` is the twin of a recent one (forgotten then), else remembers it. */
const repeatsTwin = (ctx: MatchContext, key: string, missed: boolean): boolean => {
  let recent = recentOf.get(ctx);
  if (recent === undefined) {
    recent = new Map();
    recentOf.set(ctx, recent);
  }
  const seen = recent.get(key);
  if (seen !== undefined && seen !== missed) {
    recent.delete(key);
    return true;
  }
  recent.delete(key);
  recent.set(key, missed);
  // the oldest first: a Map iterates in insertion order
  if (recent.size > MAX_RECENT) recent.delete(recent.keys().next().value ?? '');
  return false;
};

/** The value of `key=` in an acc record ("k=v;k=v"). */
const field = (rec: string, key: string): string | undefined => {
  const m = new RegExp(`(?:^|;)\\s*${key}=([^;]*)`).exec(rec);
  return m ? m[1] : undefined;
};

export const accReader: TextFormatReader = {
  format: 'acc',
  firstBytes: '',
  marker: 'ACC: ',
  isHeader: (buf, ls, lf) => RECORD.test(lineText(buf, ls, lf)),
  match(buf: Buffer, ls: number, lf: number, end: number, ctx: MatchContext): MatchResult {
    const line = lineText(buf, ls, lf);
    const m = RECORD.exec(line);
    if (!m) return null;
    const next = Math.min(lf + 1, end);
    const rec = m[2] ?? '';
    const codeText = field(rec, 'code');
    const method = field(rec, 'method');
    if (!COUNTED.has(m[1] ?? '') || codeText === undefined || method === undefined || !/^\d{3}$/.test(codeText)) {
      return { kind: 'skip', format: 'acc', next };
    }
    const callId = field(rec, 'call_id');
    const key = `${callId ?? ''}\n${field(rec, 'from_tag') ?? ''}\n${method}\n${codeText}`;
    if (repeatsTwin(ctx, key, m[1] === MISSED)) return { kind: 'skip', format: 'acc', next };
    const ts = Number(field(rec, 'timestamp'));
    return {
      kind: 'record',
      format: 'acc',
      next,
      record: {
        statusCode: Number(codeText),
        cseqMethod: method,
        callId,
        timeMs: Number.isFinite(ts) && ts > 0 ? ts * 1000 : undefined,
      },
    };
  },
};
