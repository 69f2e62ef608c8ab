import { describe, expect, it } from 'vitest';
import { parseMessage, startLineKind } from '../../../lambda/engine/sip-message.js';
import { compactResponse, invite, notifySipfrag, response } from '../../support/sip-samples.js';

const parseAll = (text: string, dotCR = false, complete = true) => {
  const buf = Buffer.from(text, 'latin1');
  return parseMessage(buf, 0, buf.length, { dotCR, complete });
};

describe('startLineKind', () => {
  const kind = (line: string) => startLineKind(Buffer.from(line), 0, line.length);

  it('recognises status lines with and without a reason phrase', () => {
    // Prepare / Act / Assess
    expect(kind('SIP/2.0 200 OK')).toBe('response');
    expect(kind('SIP/2.0 180')).toBe('response');
  });

  it('calls a cut or malformed status line bad, not a response', () => {
    expect(kind('SIP/2.0 18')).toBe('bad-status');
    expect(kind('SIP/2.0 2000 OK')).toBe('bad-status');
    expect(kind('SIP/2.0 OK')).toBe('bad-status');
  });

  it('recognises request lines with any token method and a URI with a scheme', () => {
    expect(kind('INVITE sip:bob@biloxi.example.com SIP/2.0')).toBe('request');
    expect(kind('FOO tel:+15551234 SIP/2.0')).toBe('request');
    expect(kind('INVITE bob SIP/2.0')).toBeNull();
    expect(kind('Via: SIP/2.0/UDP host')).toBeNull();
    expect(kind('hello world')).toBeNull();
  });
});

describe('parseMessage', () => {
  it('reads status code, CSeq, Call-ID and the top Via transport of a response', () => {
    // Prepare
    const text = response(486, 'Busy Here');

    // Act
    const r = parseAll(text);

    // Assess
    expect(r).toEqual({
      kind: 'message',
      end: text.length,
      msg: {
        kind: 'response',
        method: undefined,
        statusCode: 486,
        cseqNumber: 1,
        cseqMethod: 'INVITE',
        callId: '3848276298220188511@atlanta.example.com',
        viaTransport: 'udp',
        topVia: 'SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK74bf9;received=192.0.2.101',
      },
    });
  });

  it('understands compact header names', () => {
    // Prepare
    const text = compactResponse(180, 'Ringing');

    // Act
    const r = parseAll(text);

    // Assess
    expect(r.kind).toBe('message');
    if (r.kind !== 'message') return;
    expect(r.msg.callId).toBe('compact@atlanta.example.com');
    expect(r.msg.viaTransport).toBe('udp');
    expect(r.end).toBe(text.length);
  });

  it('reads the top Via transport in any case, WSS as ws, and an unknown token as unknown', () => {
    // Prepare
    const via = (v: string) => `OPTIONS sip:a@b SIP/2.0\r\nVia: ${v}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`;
    const transport = (v: string) => {
      const r = parseAll(via(v));
      return r.kind === 'message' ? r.msg.viaTransport : r.kind;
    };

    // Act / Assess
    expect(transport('SIP/2.0/tcp h;branch=z9hG4bK1')).toBe('tcp');
    expect(transport('SIP/2.0/Tls h')).toBe('tls');
    expect(transport('SIP/2.0/SCTP h')).toBe('sctp');
    expect(transport('SIP/2.0/wss h')).toBe('ws');
    expect(transport('SIP/2.0/WS h')).toBe('ws');
    expect(transport('SIP/2.0/UDPX h')).toBe('unknown');
    expect(transport('SIP/2.0/UD h')).toBe('unknown');
    expect(transport('SIP/2.0')).toBe('unknown');
  });

  it('accepts whitespace before the colon and any case in header names', () => {
    // Prepare
    const text = 'SIP/2.0 200 OK\r\ncall-id : abc\r\ncseq:  7   bye\r\nCONTENT-LENGTH : 0\r\n\r\n';

    // Act
    const r = parseAll(text);

    // Assess
    expect(r.kind === 'message' && [r.msg.callId, r.msg.cseqNumber, r.msg.cseqMethod, r.end]).toEqual([
      'abc',
      7,
      'bye',
      text.length,
    ]);
  });

  it('skips a body by Content-Length so that a sipfrag status line is never a start line', () => {
    // Prepare
    const text = notifySipfrag() + response(200, 'OK', '993809824 NOTIFY', 'a84b4c76e66710');

    // Act
    const first = parseAll(text);

    // Assess
    expect(first.kind).toBe('message');
    if (first.kind !== 'message') return;
    expect(first.msg.method).toBe('NOTIFY');
    expect(text.slice(first.end).startsWith('SIP/2.0 200 OK')).toBe(true);
  });

  it('counts a bare LF as two bytes of Content-Length when the log dropped the CRs', () => {
    // Prepare
    const lf = notifySipfrag('SIP/2.0 503 Service Unavailable', '\n');
    const text = `${lf}SIP/2.0 200 OK\nCSeq: 1 NOTIFY\n\n`;

    // Act
    const r = parseAll(text);

    // Assess
    expect(r.kind === 'message' && text.slice(r.end)).toBe('SIP/2.0 200 OK\nCSeq: 1 NOTIFY\n\n');
  });

  it("reads ngrep's '.' for CR as a line end", () => {
    // Prepare
    const text = invite().replace(/\r\n/g, '.\n');

    // Act
    const r = parseAll(text, true);

    // Assess
    expect(r.kind === 'message' && [r.msg.method, r.msg.cseqMethod, r.end]).toEqual(['INVITE', 'INVITE', text.length]);
  });

  it('waits for more bytes in a stream and reports a cut body in a datagram', () => {
    // Prepare
    const text = invite();
    const cut = text.slice(0, text.length - 10);

    // Act
    const streaming = parseAll(cut, false, false);
    const datagram = parseAll(cut, false, true);

    // Assess
    expect(streaming).toEqual({ kind: 'incomplete' });
    expect(datagram.kind === 'message' && [datagram.anomaly, datagram.end]).toEqual(['truncated-body', cut.length]);
  });

  it('runs the body to the end of a datagram when Content-Length is missing (RFC 3261 §18.3)', () => {
    // Prepare
    const text = 'SIP/2.0 200 OK\r\nCSeq: 1 OPTIONS\r\n\r\nsome body\r\n';

    // Act
    const r = parseAll(text);

    // Assess
    expect(r.kind === 'message' && r.end).toBe(text.length);
  });

  it('reports a cut status line as an anomaly and not as a message', () => {
    // Prepare / Act
    const r = parseAll('SIP/2.0 5\r\n');

    // Assess
    expect(r).toEqual({ kind: 'bad-start-line', end: 11, anomaly: 'truncated-status-line' });
  });

  it('says not-sip for other text', () => {
    expect(parseAll('hello\r\n')).toEqual({ kind: 'not-sip' });
  });
});
