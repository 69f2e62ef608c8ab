import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { identityBytes, parseMessage, startLineKind } from '../../../lambda/engine/sip-message.js';
import type { MessageBytes, SipMessage } from '../../../lambda/engine/types.js';
import { readFixture, scanWhole } from '../../support/collect.js';
import { compactResponse, invite, notifySipfrag, response } from '../../support/sip-samples.js';

/** Parses with the identity as strings (a fresh message each time), so that results can be kept and compared. */
const parseAll = (text: string, dotCR = false, complete = true) => {
  const buf = Buffer.from(text, 'latin1');
  return parseMessage(buf, 0, buf.length, { dotCR, complete, identity: 'full' });
};

/** The Call-ID, top Via, its branch and the Date a MessageBytes points at, as text. */
const texts = (b: MessageBytes): (string | null)[] =>
  [
    [b.callIdStart, b.callIdEnd],
    [b.viaStart, b.viaEnd],
    [b.branchStart, b.branchEnd],
    [b.dateStart, b.dateEnd],
  ].map(([s, e]) => (s === undefined || e === undefined || s < 0 ? null : b.buf.toString('latin1', s, e)));

describe('startLineKind', () => {
  const kind = (line: string) => startLineKind(Buffer.from(line), 0, line.length);

  it('recognises status lines with a reason phrase or an empty one after the SP, as tshark does', () => {
    // Prepare / Act / Assess
    expect(kind('SIP/2.0 200 OK')).toBe('response');
    expect(kind('SIP/2.0 180 ')).toBe('response');
    // tshark 4.0.17 does not dissect a status line without the SP after the code
    expect(kind('SIP/2.0 180')).toBe('bad-status');
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

describe("parseMessage, identity as bytes (the engine's hot path)", () => {
  it('points at Call-ID, top Via, its branch and Date in the buffer instead of making strings', () => {
    // Prepare
    const text =
      'SIP/2.0 180 Ringing\r\nv: SIP/2.0/UDP p;rport=5060;Branch=z9hG4bKx1 ;received=192.0.2.1\r\n' +
      'Via: SIP/2.0/TCP q;branch=z9hG4bKq\r\ni:  a84b4c76e66710@pc33 \r\nCall-ID: second\r\n' +
      'Date: Sat, 13 Nov 2010 23:29:00 GMT\r\nCSeq: 4711 INVITE\r\nContent-Length: 0\r\n\r\n';
    const buf = Buffer.from(text, 'latin1');

    // Act
    const r = parseMessage(buf, 0, buf.length, { dotCR: false, complete: true });

    // Assess
    expect(r.kind).toBe('message');
    if (r.kind !== 'message') return;
    const { kind, statusCode, cseqNumber, cseqMethod, viaTransport, callId, topVia, date, bytes } = r.msg;
    expect([kind, statusCode, cseqNumber, cseqMethod, viaTransport]).toEqual(['response', 180, 4711, 'INVITE', 'udp']);
    expect([callId, topVia, date]).toEqual([undefined, undefined, undefined]);
    expect(bytes?.buf).toBe(buf);
    // the last Call-ID, as tshark keys its resends; the top Via, the first
    expect(bytes && texts(bytes)).toEqual([
      'second',
      'SIP/2.0/UDP p;rport=5060;Branch=z9hG4bKx1 ;received=192.0.2.1',
      'z9hG4bKx1',
      'Sat, 13 Nov 2010 23:29:00 GMT',
    ]);
  });

  it('says absent for a missing header and empty for a Via without a branch (RFC 2543)', () => {
    // Prepare
    const text = 'BYE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP host:5060\r\nCall-ID:\r\nCSeq: 2 BYE\r\n\r\n';
    const buf = Buffer.from(text, 'latin1');

    // Act
    const r = parseMessage(buf, 0, buf.length, { dotCR: false, complete: true, identity: 'bytes' });

    // Assess
    expect(r.kind === 'message' && r.msg.bytes && texts(r.msg.bytes)).toEqual([
      '',
      'SIP/2.0/UDP host:5060',
      null,
      null,
    ]);
  });

  it('reuses one record for every message: a message is only valid until the next parse', () => {
    // Prepare
    const a = Buffer.from(response(486, 'Busy Here'), 'latin1');
    const b = Buffer.from(compactResponse(180, 'Ringing'), 'latin1');

    // Act
    const first = parseMessage(a, 0, a.length, { dotCR: false, complete: true });
    const firstCode = first.kind === 'message' ? first.msg.statusCode : undefined;
    const second = parseMessage(b, 0, b.length, { dotCR: false, complete: true });

    // Assess
    expect(first.kind === 'message' && second.kind === 'message' && first.msg === second.msg).toBe(true);
    expect([firstCode, second.kind === 'message' ? second.msg.statusCode : undefined]).toEqual([486, 180]);
  });

  it('looks for the branch of the message parsed last, asked or not about the ones before', () => {
    // Prepare: three messages through the one record; the branch of the first is read, of the second never
    const texts3 = [
      'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=z9hG4bKfirst\r\nCall-ID: 1\r\nCSeq: 1 INVITE\r\n\r\n',
      'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP b;branch=z9hG4bKsecond\r\nCall-ID: 2\r\nCSeq: 1 INVITE\r\n\r\n',
      'BYE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP host:5060\r\nCall-ID: 3\r\nCSeq: 2 BYE\r\n\r\n',
    ].map((t) => Buffer.from(t, 'latin1'));
    const branchOf = (buf: Buffer): string | null => {
      const r = parseMessage(buf, 0, buf.length, { dotCR: false, complete: true, identity: 'bytes' });
      const b = r.kind === 'message' ? r.msg.bytes : undefined;
      if (b === undefined) throw new Error('no message');
      return b.branchStart < 0 ? null : b.buf.toString('latin1', b.branchStart, b.branchEnd);
    };

    // Act
    const first = branchOf(texts3[0] as Buffer);
    const second = texts3[1] as Buffer;
    parseMessage(second, 0, second.length, { dotCR: false, complete: true, identity: 'bytes' });
    const third = branchOf(texts3[2] as Buffer);
    const secondAgain = branchOf(second);

    // Assess
    expect([first, third, secondAgain]).toEqual(['z9hG4bKfirst', null, 'z9hG4bKsecond']);
  });

  it('gives a message built with strings the same offsets view (identityBytes)', () => {
    // Prepare
    const msg: SipMessage = {
      kind: 'request',
      method: 'INVITE',
      callId: 'c@h',
      topVia: 'SIP/2.0/UDP h;BRANCH=z9hG4bK7,SIP/2.0/UDP g;branch=z9hG4bK8',
      cseqNumber: 1,
      cseqMethod: 'INVITE',
    };

    // Act
    const b = identityBytes(msg);

    // Assess
    expect(texts(b)).toEqual(['c@h', 'SIP/2.0/UDP h;BRANCH=z9hG4bK7,SIP/2.0/UDP g;branch=z9hG4bK8', 'z9hG4bK7', null]);
  });

  it('finds the first branch= in any case, as a byte-by-byte search does, in any Via', () => {
    // Prepare: Vias made of the bytes that matter (the letters of `branch` in both cases, '=', the value's ends) and
    // of others, so that near misses, overlaps and a `branch=` at either end all occur
    const part = fc.constantFrom(
      'branch=',
      'BRANCH=',
      'bRaNcH=',
      'branch',
      'ranch=',
      'bran',
      'b',
      'h=',
      '=',
      ';',
      ',',
      ' ',
      '\t',
      'z9hG4bK74',
      'SIP/2.0/UDP ',
      '10.0.0.1:5060',
      '\u00e2',
      '\u00c2',
    );
    const via = fc.array(part, { maxLength: 12 }).map((parts) => parts.join(''));
    /**
     * The reference: where the value of the first `branch=` of the ASCII-lower-cased Via starts and ends (up to ';',
     * ',', space or tab), as offsets in the Via; null when there is none.
     */
    const reference = (v: string): [number, number] | null => {
      const at = v.replace(/[A-Z]/g, (c) => c.toLowerCase()).indexOf('branch=');
      if (at < 0) return null;
      const start = at + 'branch='.length;
      const end = v.slice(start).search(/[;, \t]/);
      return [start, end < 0 ? v.length : start + end];
    };

    // Act / Assess: the Call-ID before the Via and the Date after it hold a `branch=` of their own, which a search
    // that strays out of the Via would find
    fc.assert(
      fc.property(via, (v) => {
        const b = identityBytes({ kind: 'request', callId: 'c;branch=call', topVia: v, date: 'branch=date' });
        const found = b.branchStart < 0 ? null : [b.branchStart - b.viaStart, b.branchEnd - b.viaStart];
        expect(found).toEqual(reference(v));
      }),
      { numRuns: 5000 },
    );
    // and as the parser finds it in a message that lies anywhere in a view of a larger buffer (the scanner's buffers
    // are such views: the four-byte reads go through a DataView of the view, never before or past it)
    const pool = Buffer.alloc(4096, 'branch=pool;');
    fc.assert(
      fc.property(via, fc.nat(64), fc.nat(64), (v, viewAt, messageAt) => {
        const text = `BYE sip:a@b SIP/2.0\r\nVia: ${v}\r\nCall-ID: c;branch=call\r\nCSeq: 2 BYE\r\n\r\n`;
        const view = pool.subarray(viewAt, viewAt + messageAt + text.length + 64);
        view.write(text, messageAt, 'latin1');
        const r = parseMessage(view, messageAt, messageAt + text.length, { dotCR: false, complete: true });
        expect(r.kind).toBe('message');
        const b = r.kind === 'message' ? r.msg.bytes : undefined;
        if (b === undefined) throw new Error('no bytes of the message');
        // the parser's Via is the line's value without the spaces and tabs around it
        expect(view.toString('latin1', b.viaStart, b.viaEnd)).toBe(v.replace(/^[ \t]+|[ \t]+$/g, ''));
        const found = b.branchStart < 0 ? null : [b.branchStart - b.viaStart, b.branchEnd - b.viaStart];
        expect(found).toEqual(reference(view.toString('latin1', b.viaStart, b.viaEnd)));
      }),
      { numRuns: 3000 },
    );
  });
});

/**
 * A piece of a text log that begins or ends inside a message/sipfrag body holds status lines with no header after
 * them; no SIP stack sends such a message, so none counts (a real SIPp log, test/fixtures/text/README.md).
 */
describe('a text log cut inside message/sipfrag bodies', () => {
  it('counts no status line of a body in any piece, and each response in one piece at most', async () => {
    // Prepare: the log cut every 25,000 bytes (the last piece then holds a message too)
    const log = gunzipSync(readFixture('text/sipp-notify-sipfrag-tcp6.messages.log.gz'));
    const whole = await scanWhole(log);
    const cuts = [...Array.from({ length: Math.floor(log.length / 25_000) }, (_, i) => (i + 1) * 25_000)];

    // Act
    const pieces = await Promise.all(
      [0, ...cuts].map((from, i) => scanWhole(log.subarray(from, cuts[i] ?? log.length))),
    );

    // Assess: tshark on the capture: 100 responses, all 200 (to the NOTIFYs); a cut loses at most the message it cuts
    expect(whole.byMethod).toEqual({ NOTIFY: { '200': 100 } });
    const counted = pieces.reduce((n, r) => n + r.responses, 0);
    expect(pieces.map((r) => r.byCode['503'] ?? 0)).toEqual(pieces.map(() => 0));
    expect(counted).toBeLessThanOrEqual(100);
    expect(counted).toBeGreaterThanOrEqual(100 - cuts.length);
  });
});

describe('CSeq read as tshark 4.0.17 reads it (packet-sip.c: strtoul into a guint32, MAX_CSEQ_METHOD_SIZE)', () => {
  const cseqOf = (value: string): [number | undefined, string | undefined] => {
    const buf = Buffer.from(`SIP/2.0 200 OK\r\nCall-ID: c\r\nCSeq: ${value}\r\nContent-Length: 0\r\n\r\n`, 'latin1');
    const r = parseMessage(buf, 0, buf.length, { dotCR: false, complete: true, identity: 'bytes' });
    return r.kind === 'message' ? [r.msg.cseqNumber, r.msg.cseqMethod] : [undefined, undefined];
  };

  it.each([
    // (each checked against tshark's sip.CSeq.seq and sip.CSeq.method on a capture of it)
    ['1 INVITE', 1, 'INVITE'],
    ['abc OPTIONS', 0, 'abc OPTIONS'],
    ['-5 OPTIONS', 4294967291, 'OPTIONS'],
    ['4294967296 OPTIONS', 0, 'OPTIONS'],
    ['99999999999999999999999 OPTIONS', 4294967295, 'OPTIONS'],
    ['7 ABCDEFGHIJKLMNOP', 7, 'ABCDEFGHIJKLMNOP'],
    ['7 ABCDEFGHIJKLMNOPQ', 7, undefined],
    [`7 OPTIONS${' '.repeat(11)}`, 7, undefined],
    ['7', 7, undefined],
  ])('reads CSeq "%s" as number %s, method %s', (value, number, method) => {
    // Act
    const got = cseqOf(value);

    // Assess: tshark gives no method past 16 bytes counted to the line's end (trailing spaces too), and so no resend
    expect(got).toEqual([number, method]);
  });
});
