import { payloadMeta } from '../payload-meta.js';
import { ForwardSearch } from './forward-search.js';
import { lineText, startsWith } from './line-utils.js';
import {
  type MatchContext,
  type MatchResult,
  NEED_MORE,
  normaliseAddress,
  type TextFormatReader,
} from './text-format.js';

/**
 * NIST JAIN-SIP message logs (gov.nist.javax.sip.stack.MessageLog#flush): each message is
 *   <message from="ip:port" to="ip:port" time="<epoch ms>" isSender="true|false"
 *   transactionId="..." callId="..." firstLine="..." >
 *   <![CDATA[<the SIP message>]]>
 *   </message>
 * with the attributes on one line or one per line, inside `<messages>` or bare. The CDATA block is
 * exactly one message, so its extent (not Content-Length) frames it, like a datagram.
 */

const OPEN = '<message';
const CDATA_OPEN = '<![CDATA[';
const CDATA_CLOSE = ']]>';
/** The attributes of one message never take more than this; a longer tag is not this format. */
const MAX_TAG_BYTES = 8192;
/** A SIP message bigger than this in one CDATA block is cut off (RFC 3261 bodies stay far below). */
const MAX_MESSAGE_BYTES = 1 << 20;
/**
 * The searches for the CDATA's open and close, bounded by the two limits above and remembering what they read:
 * buf.indexOf searched to the end of the buffer for every `<message` line without them (6 MB of such lines took
 * minutes).
 */
const cdataOpen = new ForwardSearch(Buffer.from(CDATA_OPEN, 'latin1'));
const cdataClose = new ForwardSearch(Buffer.from(CDATA_CLOSE, 'latin1'));

/** The value of `name="..."` in the tag text, or undefined. */
const attribute = (tag: string, name: string): string | undefined => {
  const at = tag.indexOf(` ${name}="`);
  const at2 = at >= 0 ? at : tag.indexOf(`\n${name}="`);
  if (at2 < 0) return undefined;
  const start = at2 + name.length + 3;
  const close = tag.indexOf('"', start);
  return close < 0 ? undefined : tag.slice(start, close);
};

/** `<message` followed by white space or the end of the line (not `<messages>`). */
const isOpenTag = (buf: Buffer, ls: number, lf: number): boolean => {
  if (lf - ls < OPEN.length || !startsWith(buf, ls, lf, OPEN)) return false;
  if (lf - ls === OPEN.length) return true;
  const c = buf[ls + OPEN.length];
  return c === 0x20 || c === 0x09 || c === 0x0d;
};

export const jainSipXmlReader: TextFormatReader = {
  format: 'jain-sip-xml',
  firstBytes: '<',
  lineStarts: ['<m'],
  isHeader: isOpenTag,
  match(buf: Buffer, ls: number, lf: number, end: number, ctx: MatchContext): MatchResult {
    if (!isOpenTag(buf, ls, lf)) return null;
    // a match that starts past ls + MAX_TAG_BYTES counts as none, as it always did; where NEED_MORE is possible
    // (end - ls within the bound) the scanner's window ends at its buffer's end, so the bound cuts off nothing
    const cdata = cdataOpen.find(buf, ls, ls + MAX_TAG_BYTES + CDATA_OPEN.length);
    if (cdata < 0) {
      if (end - ls <= MAX_TAG_BYTES && !ctx.final) return NEED_MORE;
      return null;
    }
    const payloadStart = cdata + CDATA_OPEN.length;
    const close = cdataClose.find(buf, payloadStart, payloadStart + MAX_MESSAGE_BYTES + CDATA_CLOSE.length);
    if (close < 0) {
      if (end - payloadStart <= MAX_MESSAGE_BYTES && !ctx.final) return NEED_MORE;
      return null;
    }
    const tag = lineText(buf, ls, cdata);
    const time = Number(attribute(tag, 'time'));
    const from = attribute(tag, 'from');
    const to = attribute(tag, 'to');
    return {
      kind: 'datagram',
      format: 'jain-sip-xml',
      meta: payloadMeta(
        'unknown',
        from !== undefined ? normaliseAddress(from) : undefined,
        to !== undefined ? normaliseAddress(to) : undefined,
        Number.isFinite(time) && time > 0 ? time : undefined,
      ),
      next: close + CDATA_CLOSE.length,
      payloadBuf: buf,
      payloadStart,
      payloadEnd: close,
      dotCR: false,
    };
  },
};
