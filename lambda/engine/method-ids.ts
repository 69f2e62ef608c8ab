/**
 * Small numbers for method tokens (a request's method, a CSeq's), one numbering for the whole process, as
 * endpoint-ids.ts numbers names: the parser numbers a token once, when it first interns it, and the message carries
 * the number (SipMessage.methodId, cseqMethodId); the retransmission detector, the tally and the KPI tracker use it
 * instead of looking the string up per message (a Map lookup each, three per message). Past MAX_METHOD_IDS tokens
 * (a log of garbage request lines) new ones get none (-1) and are looked up by string where they are used.
 */
import { NameIds } from './endpoint-ids.js';

export const MAX_METHOD_IDS = 10_000;

/** The process's numbering of method tokens (the one every message's methodId and cseqMethodId come from). */
export const methodIds = new NameIds(MAX_METHOD_IDS);

/** The methods the KPI tracker follows, numbered first. */
export const INVITE_ID = methodIds.of('INVITE');
export const BYE_ID = methodIds.of('BYE');
export const REGISTER_ID = methodIds.of('REGISTER');
