import { lineText } from './line-utils.js';
import type { MatchResult, TextFormatReader } from './text-format.js';

/**
 * Kamailio / OpenSIPS `acc` module log records (syslog, or Kamailio's stderr with -E):
 *   ... ACC: transaction answered: timestamp=1795527567;method=INVITE;...;code=486;reason=Busy Here;...
 * Each "transaction answered" / "transaction failed" record is one final reply of that code and
 * method. "call missed" repeats a failed transaction that is already logged, and
 * "request acknowledged" is about an ACK, so neither is counted again.
 */

const RECORD = /ACC: (transaction answered|transaction failed|call missed|request acknowledged|call ended)?:? ?(.*)$/;
const COUNTED = new Set(['transaction answered', 'transaction failed']);

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
  match(buf: Buffer, ls: number, lf: number, end: number): MatchResult {
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
    const ts = Number(field(rec, 'timestamp'));
    return {
      kind: 'record',
      format: 'acc',
      next,
      record: {
        statusCode: Number(codeText),
        cseqMethod: method,
        callId: field(rec, 'call_id'),
        timeMs: Number.isFinite(ts) && ts > 0 ? ts * 1000 : undefined,
      },
    };
  },
};
