/**
 * tshark's dissection outputs (`-T pdml|psml|json|ek`, `-V`, `-O sip`, the one-line summaries) are
 * not SIP logs: PDML carries every header as an XML attribute and a `show="SIP/2.0 200 OK"` line the
 * bare-SIP reader took for a status line (124 false responses on the corpus's mixed.pcap), JSON
 * splits a message over many fields, and none keeps the TCP stream whole. Nor are its SIP statistics
 * (`-q -z sip,stat`: counts by code and method, no message, no time). They are refused here, by their
 * first bytes, with an error telling the user to give the capture itself.
 */

/** The tshark outputs recognised (named as the tshark option that makes them). */
export type TsharkOutput = '-T pdml' | '-T psml' | '-T json' | '-T ek' | '-V / -O' | 'summary' | '-z sip,stat';

/** Bytes of the head read to decide (the first lines of every output above fit well within). */
const HEAD_BYTES = 4096;

// `-T json` (and `-T jsonraw`): an array whose first object starts with the Elasticsearch `_index` of the packet
const JSON_START = /^\[\s*\{\s*"_index"\s*:\s*"packets-/;
// `-T ek`: the bulk-index action line of the first packet
const EK_START = /^\{"index"\s*:\s*\{"_index"\s*:\s*"packets-/;
// `-V`, `-O PROTO`, `-P -V`: every packet starts with the frame tree's summary line
const FRAME_START = /^Frame \d+: \d+ bytes on wire \(\d+ bits\), \d+ bytes captured \(\d+ bits\)/;
// the default one-line summary: number, relative time, source, arrow (→ or ->), destination, protocol, length
const SUMMARY_START = /^ *\d+ +-?\d+\.\d+ +\S+ (?:\u2192|->) \S+ +\S+ +\d+ /;
// `-q -z sip,stat` (sip_stat.c): a rule of '=' and the title, after a blank line
const SIP_STAT_START = /^\s*={20,}\r?\nSIP Statistics\r?\n/;

/** Which tshark dissection output the start of the input is, if any. */
export const detectTsharkOutput = (head: Uint8Array): TsharkOutput | undefined => {
  const text = Buffer.from(head.buffer, head.byteOffset, Math.min(head.length, HEAD_BYTES)).toString('utf8');
  if (text.startsWith('<?xml')) {
    // the XML declaration and stylesheet come first; the root element tells PDML from PSML
    if (/<pdml[\s>]/.test(text)) return '-T pdml';
    if (/<psml[\s>]/.test(text)) return '-T psml';
    return undefined;
  }
  if (JSON_START.test(text)) return '-T json';
  if (EK_START.test(text)) return '-T ek';
  if (FRAME_START.test(text)) return '-V / -O';
  if (SUMMARY_START.test(text)) return 'summary';
  if (SIP_STAT_START.test(text)) return '-z sip,stat';
  return undefined;
};
