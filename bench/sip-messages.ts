import type { Prng } from './prng.js';

/**
 * Building blocks of the synthetic SIP traffic: addresses, user agents, reason phrases and the
 * rendering of one message as it goes on the wire (CRLF line ends, RFC 3261 §7).
 */

/** Transport of one hop. */
export type WireTransport = 'udp' | 'tcp';

/** An IPv4 address and port. */
export interface Endpoint {
  readonly ip: string;
  readonly port: number;
}

/** One SIP phone or gateway behind the proxy. */
export interface UserAgent {
  readonly user: string;
  /** Where it sends from and listens: UDP on 5060 or a NAT port; TCP from an ephemeral port to the proxy's 5060. */
  readonly ep: Endpoint;
  readonly transport: WireTransport;
  /** Writes compact header names (RFC 3261 §7.3.3: v, f, t, i, m, l, c, k, s, o, r). */
  readonly compact: boolean;
  readonly agent: string;
}

/** The proxy every message goes through (tshark dissects 5060 as SIP by port, UDP and TCP alike). */
export const PROXY: Endpoint = { ip: '10.0.0.10', port: 5060 };
/** The proxy's Server header, as Kamailio writes it. */
export const PROXY_AGENT = 'kamailio (5.6.3 (x86_64/linux))';
/** The SIP domain of every address-of-record. */
export const DOMAIN = 'voip.example.net';

/** Reason phrases of the status codes the traffic uses (RFC 3261 §21 and its extensions). */
export const REASON: Readonly<Record<number, string>> = {
  100: 'Trying',
  180: 'Ringing',
  181: 'Call Is Being Forwarded',
  182: 'Queued',
  183: 'Session Progress',
  200: 'OK',
  202: 'Accepted',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  305: 'Use Proxy',
  380: 'Alternative Service',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  410: 'Gone',
  412: 'Conditional Request Failed',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  421: 'Extension Required',
  423: 'Interval Too Brief',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  484: 'Address Incomplete',
  485: 'Ambiguous',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  489: 'Bad Event',
  491: 'Request Pending',
  493: 'Undecipherable',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Server Time-out',
  505: 'Version Not Supported',
  513: 'Message Too Large',
  580: 'Precondition Failure',
  600: 'Busy Everywhere',
  603: 'Decline',
  604: 'Does Not Exist Anywhere',
  606: 'Not Acceptable',
};

const AGENTS = [
  'Linphone/5.2.5 (belle-sip/5.2.94)',
  'Zoiper rv2.10.20.4',
  'Grandstream GXP2170 1.0.11.23',
  'Yealink SIP-T46U 108.86.0.90',
  'Cisco-CP8841/14.2.1',
  'PolycomVVX-VVX_450-UA/6.4.6.2474',
  'MicroSIP/3.21.3',
  'baresip v3.10.1 (x86_64/linux)',
  'Asterisk PBX 20.5.0',
  'FPBX-16.0.40(18.20.0)',
] as const;

/** A population of user agents: mostly UDP, a quarter TCP, some writing compact headers. */
export const makeUserAgents = (rng: Prng, count: number): UserAgent[] => {
  const out: UserAgent[] = [];
  for (let i = 0; i < count; i++) {
    const transport: WireTransport = rng.chance(0.25) ? 'tcp' : 'udp';
    const ip = `10.1.${Math.floor(i / 250)}.${(i % 250) + 2}`;
    // NAT ports stay above 5060: tshark tries the lower port's dissector first, and a port such as
    // 1701 (L2TP) would hide the SIP in the packet from it
    const port = transport === 'tcp' ? rng.int(32768, 60999) : rng.chance(0.5) ? 5060 : rng.int(10_000, 65_000);
    const user = rng.chance(0.4) ? `+1555${String(rng.int(0, 9_999_999)).padStart(7, '0')}` : `ua-${i}`;
    out.push({ user, ep: { ip, port }, transport, compact: rng.chance(0.15), agent: rng.pick(AGENTS) });
  }
  return out;
};

const COMPACT: Readonly<Record<string, string>> = {
  Via: 'v',
  From: 'f',
  To: 't',
  'Call-ID': 'i',
  Contact: 'm',
  'Content-Length': 'l',
  'Content-Type': 'c',
  Supported: 'k',
  Subject: 's',
  Event: 'o',
  'Refer-To': 'r',
};

/** One header field, its name already in the form its writer uses. */
export type Header = readonly [name: string, value: string];

/** The header name a writer uses: compact or full. */
export const hname = (name: string, compact: boolean): string => (compact ? (COMPACT[name] ?? name) : name);

/** A message on the wire: start line, fields, Content-Length (always present, so every framer agrees), body. */
export const renderMessage = (
  startLine: string,
  headers: readonly Header[],
  body: string,
  compact: boolean,
): string => {
  let s = `${startLine}\r\n`;
  for (const [n, v] of headers) s += `${n}: ${v}\r\n`;
  // the traffic is ASCII only, so the string length is the byte length
  return `${s}${hname('Content-Length', compact)}: ${body.length}\r\n\r\n${body}`;
};

/** "SIP/2.0/UDP" or "SIP/2.0/TCP". */
export const viaProto = (t: WireTransport): string => (t === 'tcp' ? 'SIP/2.0/TCP' : 'SIP/2.0/UDP');

/** A Contact URI with the transport parameter TCP user agents add. */
export const contactOf = (ua: UserAgent): string =>
  `<sip:${ua.user}@${ua.ep.ip}:${ua.ep.port}${ua.transport === 'tcp' ? ';transport=tcp' : ''}>`;

/** An SDP offer or answer (RFC 4566) of a usual size. */
export const sdp = (rng: Prng, ip: string): string => {
  const sess = rng.int(1000, 999_999_999);
  const port = rng.int(8000, 32000) & ~1;
  let s = `v=0\r\no=- ${sess} ${sess} IN IP4 ${ip}\r\ns=call\r\nc=IN IP4 ${ip}\r\nt=0 0\r\n`;
  if (rng.chance(0.5)) {
    s += `m=audio ${port} RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n`;
  } else {
    s += `m=audio ${port} RTP/AVP 9 0 8 18 101\r\na=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=no\r\n`;
  }
  return `${s}a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n`;
};
