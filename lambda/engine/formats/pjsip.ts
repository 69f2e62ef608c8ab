import { findLogStamp } from '../log-stamp.js';
import { transportNamed } from '../transport.js';
import { lineText } from './line-utils.js';
import type { MatchResult, TextFormatReader } from './text-format.js';

/**
 * Asterisk `pjsip set logger on` (res_pjsip_logger.c):
 *   <--- Received SIP request (861 bytes) from UDP:10.0.0.1:5060 --->
 *   <--- Transmitting SIP response (521 bytes) to UDP:10.0.0.1:5060 --->
 * followed by the message. In a full log the line carries a prefix such as
 * "[2026-11-24 13:39:27.271] VERBOSE[1234] res_pjsip_logger.c: "; its date, when it has a year,
 * stamps the message (a date without a year, Asterisk's default "[Nov 24 13:39:27]", too: the
 * file's clock gives it its year).
 */

const HEADER =
  /<--- (Received|Transmitting) SIP (?:request|response) \((\d+) bytes\) (?:from|to) (UDP|TCP|TLS|WSS?|SCTP):(\S+?) --->\s*$/;
export const pjsipReader: TextFormatReader = {
  format: 'pjsip',
  firstBytes: '',
  marker: '<--- ',
  isHeader: (buf, ls, lf) => HEADER.test(lineText(buf, ls, lf)),
  match(buf: Buffer, ls: number, lf: number, end: number): MatchResult {
    const line = lineText(buf, ls, lf);
    const m = HEADER.exec(line);
    if (!m) return null;
    const received = m[1] === 'Received';
    const peer = m[4] ?? '';
    const prefix = line.slice(0, m.index);
    return {
      kind: 'inline',
      format: 'pjsip',
      meta: {
        stamp: prefix.length > 0 ? findLogStamp(prefix) : undefined,
        src: received ? peer : 'local',
        dst: received ? 'local' : peer,
        transport: transportNamed(m[3]),
      },
      next: Math.min(lf + 1, end),
    };
  },
};
