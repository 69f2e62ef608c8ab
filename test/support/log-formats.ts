/**
 * Writers of each text log format, faithful to the tools' own print code, so that tests can wrap
 * any SIP message the way the tool would log it.
 */

/** ngrep -W byline (ngrep.c dump_packet + dump_byline): CR and other non-printables print as '.'. */
export const ngrepPacket = (proto: 'U' | 'T', src: string, dst: string, payload: string, time?: string): string => {
  const shown = payload.replace(/[^\n\x20-\x7e]/g, '.');
  const flags = proto === 'T' ? ' [AP]' : '';
  return `\n${proto} ${time ? `${time} ` : ''}${src} -> ${dst}${flags} #1\n${shown}\n`;
};

/** SIPp -trace_msg record (sipp's TRACE_MSG in call.cpp / socket.cpp). */
export const sippRecord = (
  dir: 'sent' | 'received',
  transport: string,
  msg: string,
  time = '2026-11-24 13:39:45.021904',
): string => {
  const size = Buffer.byteLength(msg);
  const what = dir === 'sent' ? `message sent (${size} bytes):` : `message received [${size}] bytes :`;
  return `----------------------------------------------- ${time}\n${transport} ${what}\n\n${msg}\n\n`;
};

/** Asterisk pjsip logger (res_pjsip_logger.c), with an optional full-log prefix. */
export const pjsipRecord = (dir: 'in' | 'out', peer: string, msg: string, prefix = ''): string => {
  const kind = msg.startsWith('SIP/2.0') ? 'response' : 'request';
  const size = Buffer.byteLength(msg);
  const head =
    dir === 'in'
      ? `<--- Received SIP ${kind} (${size} bytes) from ${peer} --->`
      : `<--- Transmitting SIP ${kind} (${size} bytes) to ${peer} --->`;
  return `${prefix}${head}\n${msg}\n`;
};

/** "ip:port" -> [ip, port]; the port follows the last colon, so an IPv6 address may hold colons. */
const splitAddress = (address: string): [string, string] => {
  const colon = address.lastIndexOf(':');
  return [address.slice(0, colon), address.slice(colon + 1)];
};

/** Kamailio sipdump text record (modules/sipdump/sipdump_write.c). */
export const sipdumpRecord = (
  tag: 'rcv' | 'snd',
  src: string,
  dst: string,
  msg: string,
  time = 1795527567.271808,
): string => {
  const [srcip, srcport] = splitAddress(src);
  const [dstip, dstport] = splitAddress(dst);
  return [
    '====================',
    `tag: ${tag}`,
    'pid: 3944',
    'process: 1',
    `time: ${time}`,
    'date: Tue Nov 24 13:39:27 2026',
    'proto: udp ipv4',
    `srcip: ${srcip}`,
    `srcport: ${srcport}`,
    `dstip: ${dstip}`,
    `dstport: ${dstport}`,
    '~~~~~~~~~~~~~~~~~~~~',
    `${msg}||||||||||||||||||||`,
    '',
  ].join('\n');
};

/** A Kamailio acc log line in its stderr form (-E) or syslog form. */
export const accLine = (
  method: string,
  code: number,
  reason: string,
  form: 'stderr' | 'syslog' = 'stderr',
  label = 'transaction answered',
): string => {
  const rec = `ACC: ${label}: timestamp=1795527567;method=${method};from_tag=158a43ce;to_tag=d594;call_id=4c247bc9@127.0.0.1;code=${code};reason=${reason};src_user=ua-a0`;
  return form === 'stderr'
    ? ` 4(3947) NOTICE: acc [acc.c:287]: acc_log_request(): ${rec}\n`
    : `Nov 24 13:39:27 pbx1 /usr/sbin/kamailio[3947]: NOTICE: acc [acc.c:287]: acc_log_request(): ${rec}\n`;
};
