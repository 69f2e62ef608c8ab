/**
 * Hand-made SIP messages after the examples of RFC 3665 (basic call flows) and RFC 3515
 * (REFER/NOTIFY with message/sipfrag), for tests of the framer and the format readers.
 */

/** Joins header lines and a body into one message with the given line end. */
export const sipMessage = (startLine: string, headers: readonly string[], body = '', eol = '\r\n'): string => {
  const bodyBytes = Buffer.byteLength(body.replace(/\r?\n/g, '\r\n'), 'latin1');
  const hasLength = headers.some((h) => /^(content-length|l)\s*:/i.test(h));
  const all = hasLength ? headers : [...headers, `Content-Length: ${bodyBytes}`];
  return [startLine, ...all, '', ''].join(eol) + body.replace(/\r?\n/g, eol);
};

const dialog = (callId: string, cseq: string, branch = 'z9hG4bK74bf9'): string[] => [
  `Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=${branch};received=192.0.2.101`,
  'From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl',
  'To: Bob <sip:bob@biloxi.example.com>;tag=8321234356',
  `Call-ID: ${callId}`,
  `CSeq: ${cseq}`,
];

/** RFC 3665 §3.1 F1-like INVITE with an SDP body. */
export const invite = (callId = '3848276298220188511@atlanta.example.com', eol = '\r\n'): string =>
  sipMessage(
    'INVITE sip:bob@biloxi.example.com SIP/2.0',
    [
      'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK74bf9',
      'Max-Forwards: 70',
      'From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl',
      'To: Bob <sip:bob@biloxi.example.com>',
      `Call-ID: ${callId}`,
      'CSeq: 1 INVITE',
      'Contact: <sip:alice@client.atlanta.example.com;transport=tcp>',
      'Content-Type: application/sdp',
    ],
    'v=0\r\no=alice 2890844526 2890844526 IN IP4 client.atlanta.example.com\r\ns=-\r\nc=IN IP4 192.0.2.101\r\nt=0 0\r\nm=audio 49172 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n',
    eol,
  );

/** A response to the INVITE above (or another CSeq), no body. */
export const response = (
  code: number,
  reason: string,
  cseq = '1 INVITE',
  callId = '3848276298220188511@atlanta.example.com',
  eol = '\r\n',
): string => sipMessage(`SIP/2.0 ${code} ${reason}`, dialog(callId, cseq), '', eol);

/** The same response written with compact header names (RFC 3261 §7.3.3). */
export const compactResponse = (
  code: number,
  reason: string,
  cseq = '1 INVITE',
  callId = 'compact@atlanta.example.com',
): string =>
  sipMessage(`SIP/2.0 ${code} ${reason}`, [
    'v: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8',
    'f: <sip:alice@atlanta.example.com>;tag=1928301774',
    't: <sip:bob@biloxi.example.com>;tag=a6c85cf',
    `i: ${callId}`,
    `CSeq: ${cseq}`,
    'l: 0',
  ]);

/** RFC 3515 §2.4.5-like NOTIFY whose message/sipfrag body is a status line: not a response. */
export const notifySipfrag = (status = 'SIP/2.0 503 Service Unavailable', eol = '\r\n'): string =>
  sipMessage(
    'NOTIFY sip:alice@client.atlanta.example.com SIP/2.0',
    [
      'Via: SIP/2.0/UDP biloxi.example.com;branch=z9hG4bK9922ef992-25',
      'From: <sip:bob@biloxi.example.com>;tag=a6c85cf',
      'To: <sip:alice@atlanta.example.com>;tag=1928301774',
      'Call-ID: a84b4c76e66710',
      'CSeq: 993809824 NOTIFY',
      'Event: refer',
      'Subscription-State: active;expires=60',
      'Content-Type: message/sipfrag;version=2.0',
    ],
    `${status}\r\n`,
    eol,
  );

/** A MESSAGE whose text quotes a status line on a line of its own. */
export const messageQuotingStatus = (): string =>
  sipMessage(
    'MESSAGE sip:bob@biloxi.example.com SIP/2.0',
    [
      'Via: SIP/2.0/TCP pc33.atlanta.example.com;branch=z9hG4bKmsg1',
      'From: <sip:alice@atlanta.example.com>;tag=49583',
      'To: <sip:bob@biloxi.example.com>',
      'Call-ID: asd88asd77a@1.2.3.4',
      'CSeq: 1 MESSAGE',
      'Content-Type: text/plain',
    ],
    'the gateway said\r\nSIP/2.0 500 Server Internal Error\r\nagain\r\n',
  );
