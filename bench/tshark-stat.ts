import type { ResponseClass } from '../lambda/engine/types.js';
import type { GroundTruth } from './ground-truth.js';

/**
 * Reads the table `tshark -q -z sip,stat` prints, to check the capture generator against the
 * reference tool itself. sip,stat lumps codes it has no name for into "Others" (a 580 shows as
 * 599), so only message totals, resends and response classes are compared.
 */

/** What sip,stat reports. */
export interface SipStat {
  readonly messages: number;
  readonly resent: number;
  readonly byClass: Record<ResponseClass, number>;
}

/** Parses sip,stat output; null when it does not look like one. */
export const parseSipStat = (text: string): SipStat | null => {
  const messages = /Number of SIP messages: (\d+)/.exec(text);
  const resent = /Number of resent SIP messages: (\d+)/.exec(text);
  if (!messages || !resent) return null;
  const byClass: Record<ResponseClass, number> = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, '6xx': 0 };
  const codesSection = text.split('* List of SIP Request methods')[0] ?? '';
  for (const m of codesSection.matchAll(/^\s*SIP ([1-6])\d\d .*:\s*(\d+) Packets/gm)) {
    const cls = `${m[1]}xx` as ResponseClass;
    byClass[cls] += Number(m[2]);
  }
  return { messages: Number(messages[1]), resent: Number(resent[1]), byClass };
};

/** Differences between tshark's view of the capture and the generator's truth; empty when they agree. */
export const compareSipStat = (stat: SipStat, truth: GroundTruth): string[] => {
  const diffs: string[] = [];
  if (stat.messages !== truth.messages) diffs.push(`messages: tshark ${stat.messages}, truth ${truth.messages}`);
  const resent = truth.retransmissions.requests + truth.retransmissions.responses;
  if (stat.resent !== resent) diffs.push(`resent: tshark ${stat.resent}, truth ${resent}`);
  for (const [cls, n] of Object.entries(stat.byClass)) {
    const want = truth.byClass[cls as ResponseClass];
    if (n !== want) diffs.push(`${cls}: tshark ${n}, truth ${want}`);
  }
  return diffs;
};
