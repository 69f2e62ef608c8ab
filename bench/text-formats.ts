import { PROXY } from './sip-messages.js';
import type { WireMessage } from './sip-traffic.js';
import type { Packet } from './tcp-segmenter.js';

/**
 * Renders messages and packets the way each logging tool prints them, byte for byte as the files
 * in ../shared/corpus show (see its README for the tool behind each one).
 */

/** The text log formats the trace mixes. */
export type TextFormat = 'bare' | 'ngrep' | 'sipdump' | 'pjsip' | 'sipp';

const p2 = (n: number): string => (n < 10 ? `0${n}` : String(n));
const p3 = (n: number): string => String(n).padStart(3, '0');
const p6 = (n: number): string => String(n).padStart(6, '0');
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

interface TimeParts {
  readonly date: string;
  readonly hms: string;
  readonly usec: number;
  readonly d: Date;
}

const timeParts = (us: number): TimeParts => {
  const d = new Date(Math.floor(us / 1000));
  return {
    date: `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}`,
    hms: `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`,
    usec: us % 1_000_000,
    d,
  };
};

/** What `ngrep -I file -W byline -q port 5060` prints before the first packet. */
export const ngrepPreamble = (n: number): string =>
  `input: sbc-${n}.pcap\nfilter: ( port 5060 ) and ((ip || ip6) || (vlan && (ip || ip6)))\n`;

/**
 * One packet as `ngrep -W byline` prints it: blank line, header, payload with every CR shown as
 * '.', newline (ngrep.c dump_byline). TCP headers carry the flags; a split message shows [A]
 * segments before its [AP] one.
 */
export const ngrepPacket = (p: Packet, n: number): string => {
  const kind = p.transport === 'tcp' ? 'T' : 'U';
  const flags = p.transport === 'tcp' ? (p.push ? ' [AP]' : ' [A]') : '';
  return `\n${kind} ${p.src.ip}:${p.src.port} -> ${p.dst.ip}:${p.dst.port}${flags} #${n}\n${p.payload.replaceAll('\r', '.')}\n`;
};

/** One message as Kamailio's sipdump module writes it (the proxy's view: rcv or snd). */
export const sipdumpRecord = (m: WireMessage): string => {
  const t = timeParts(m.timeUs);
  const d = t.d;
  const ctime = `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${t.hms} ${d.getUTCFullYear()}`;
  const received = m.dst.ip === PROXY.ip;
  const process = 1 + ((m.src.port + m.dst.port) % 8);
  return (
    `====================\ntag: ${received ? 'rcv' : 'snd'}\npid: ${3943 + process}\nprocess: ${process}\n` +
    `time: ${Math.floor(m.timeUs / 1_000_000)}.${p6(t.usec)}\ndate: ${ctime}\nproto: ${m.transport} ipv4\n` +
    `srcip: ${m.src.ip}\nsrcport: ${m.src.port}\ndstip: ${m.dst.ip}\ndstport: ${m.dst.port}\n` +
    `~~~~~~~~~~~~~~~~~~~~\n${m.text}||||||||||||||||||||\n`
  );
};

/**
 * One message in Asterisk `pjsip set logger` style, as the corpus's re-framing script writes it:
 * a dated header naming the peer, then the message with its CRLFs turned into LFs, then a newline.
 * The byte count is the message's size on the wire.
 */
export const pjsipRecord = (m: WireMessage): string => {
  const t = timeParts(m.timeUs);
  const received = m.dst.ip === PROXY.ip;
  const peer = received ? m.src : m.dst;
  const kind = m.statusCode === 0 ? 'request' : 'response';
  const verb = received
    ? `Received SIP ${kind} (${m.text.length} bytes) from`
    : `Transmitting SIP ${kind} (${m.text.length} bytes) to`;
  return `[${t.date} ${t.hms}.${p3(Math.floor(t.usec / 1000))}] <--- ${verb} ${m.transport.toUpperCase()}:${peer.ip}:${peer.port} --->\n${m.text.replaceAll('\r\n', '\n')}\n`;
};

/** One message as SIPp `-trace_msg` logs it on the caller's side (only caller-leg messages exist there). */
export const sippRecord = (m: WireMessage): string => {
  const t = timeParts(m.timeUs);
  const sent = m.dst.ip === PROXY.ip;
  const tr = m.transport.toUpperCase();
  const what = sent
    ? `${tr} message sent (${m.text.length} bytes):`
    : `${tr} message received [${m.text.length}] bytes :`;
  return `----------------------------------------------- ${t.date} ${t.hms}.${p6(t.usec)}\n${what}\n\n${m.text}\n`;
};

/** A bare message as a SIP stack's raw dump holds it, with a blank line after it. */
export const bareRecord = (m: WireMessage): string => `${m.text}\r\n`;
