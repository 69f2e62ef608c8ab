import { Prng } from './prng.js';
import {
  contactOf,
  DOMAIN,
  type Endpoint,
  type Header,
  hname,
  makeUserAgents,
  PROXY,
  PROXY_AGENT,
  REASON,
  renderMessage,
  sdp,
  type UserAgent,
  viaProto,
  type WireTransport,
} from './sip-messages.js';

/**
 * Synthetic SIP traffic through one stateful proxy (Kamailio-like), as the proxy's network
 * interface sees it: calls (answered, rejected with every class, redirected, cancelled, timed out,
 * with proxy authentication), registrations with digest challenges, OPTIONS keepalives, MESSAGE,
 * SUBSCRIBE/NOTIFY, PUBLISH, REFER with message/sipfrag NOTIFYs, stray BYEs. Dialogs overlap in
 * time like real traffic. Every message carries what the ground truth needs: its status code, its
 * CSeq method and whether it is a byte-identical retransmission (which tshark marks `sip.resend`).
 */

/** One SIP message as sent on the wire. */
export interface WireMessage {
  /** The whole message, CRLF line ends, ASCII only. */
  readonly text: string;
  readonly src: Endpoint;
  readonly dst: Endpoint;
  readonly transport: WireTransport;
  /** Microseconds since the epoch. */
  readonly timeUs: number;
  /** Status code, or 0 for a request. */
  readonly statusCode: number;
  /** Request method, or the CSeq method of a response. */
  readonly method: string;
  /** A byte-identical resend over UDP of a message sent just before in the same direction. */
  readonly retransmission: boolean;
  /** Between the caller and the proxy: the only hop a caller-side log (SIPp) shows. */
  readonly callerLeg: boolean;
  /** Lines of the body that look like a status line ("SIP/2.0 503 ..."): not responses. */
  readonly bodyStatusLines: number;
}

type Side = 'a' | 'b';
type Draft = Omit<WireMessage, 'timeUs'>;

/** A request on both hops: as its sender wrote it (leg X) and as the proxy forwarded it (leg Y). */
interface Txn {
  readonly from: Side;
  readonly method: string;
  readonly cseq: number;
  readonly branch: string;
  readonly pBranch: string;
  readonly viaX: string;
  readonly viaXRecv: string;
  readonly viaP: string;
  readonly fromVal: string;
  readonly toVal: string;
  readonly ruriX: string;
  readonly ruriY: string;
  readonly legX: string;
  readonly legY: string;
  readonly bodyStatusLines: number;
  readonly recordRoute: boolean;
}

interface ReqSpec {
  readonly from: Side;
  readonly method: string;
  readonly cseq: number;
  readonly ruriX: string;
  readonly ruriY: string;
  readonly fromVal: string;
  readonly toVal: string;
  readonly body?: string;
  readonly ctype?: string;
  readonly extra?: readonly Header[];
  readonly recordRoute?: boolean;
  readonly route?: boolean;
  readonly contact?: boolean;
  /** Reuse the branches of the INVITE (CANCEL and the ACK of a non-2xx final response). */
  readonly sameBranchAs?: Txn;
  readonly maxForwards?: number;
}

const KAMAILIO_TRYING = 'trying -- your call is important to us';
const ALLOW = 'INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE';
const countStatusLines = (body: string): number => {
  let n = 0;
  for (const line of body.split('\r\n')) if (/^SIP\/2\.0 \d{3} /.test(line)) n++;
  return n;
};

/** Collects one dialog's messages with their send times. */
class Script {
  readonly out: WireMessage[] = [];
  private t: number;

  constructor(
    startUs: number,
    private readonly rng: Prng,
  ) {
    this.t = startUs;
  }

  wait(ms: number): void {
    this.t += Math.max(1, Math.round(ms * 1000));
  }

  send(d: Draft): void {
    this.out.push({ ...d, timeUs: this.t });
    this.t += this.rng.int(20, 400);
  }
}

/** Builds the messages of one dialog (or one standalone transaction) between caller a and callee b. */
class Dialog {
  readonly callId: string;
  readonly aTag: string;
  readonly bTag: string;
  readonly proxyTag: string;
  aCseq: number;
  bCseq: number;

  constructor(
    private readonly rng: Prng,
    private readonly s: Script,
    readonly a: UserAgent,
    readonly b: UserAgent,
  ) {
    this.callId = `${rng.hex(20)}@${a.ep.ip}`;
    this.aTag = rng.hex(8);
    this.bTag = rng.hex(8);
    this.proxyTag = `${rng.hex(32)}.${rng.hex(8)}`;
    this.aCseq = rng.int(1, 900);
    this.bCseq = rng.int(1, 900);
  }

  ua(side: Side): UserAgent {
    return side === 'a' ? this.a : this.b;
  }

  aor(side: Side): string {
    return `<sip:${this.ua(side).user}@${DOMAIN}>`;
  }

  wait(ms: number): void {
    this.s.wait(ms);
  }

  request(spec: ReqSpec): Txn {
    const x = this.ua(spec.from);
    const y = this.ua(spec.from === 'a' ? 'b' : 'a');
    const c = x.compact;
    const branch = spec.sameBranchAs?.branch ?? this.rng.hex(16);
    const pBranch = spec.sameBranchAs?.pBranch ?? `${this.rng.hex(4)}.${this.rng.hex(32)}.0`;
    const viaX = `${viaProto(x.transport)} ${x.ep.ip}:${x.ep.port};branch=z9hG4bK${branch};rport`;
    const viaXRecv = `${viaProto(x.transport)} ${x.ep.ip}:${x.ep.port};branch=z9hG4bK${branch};rport=${x.ep.port};received=${x.ep.ip}`;
    const viaP = `${viaProto(y.transport)} ${PROXY.ip}:${PROXY.port};branch=z9hG4bK${pBranch}`;
    const body = spec.body ?? '';
    const rest: Header[] = [
      [hname('From', c), spec.fromVal],
      [hname('To', c), spec.toVal],
      [hname('Call-ID', c), this.callId],
      ['CSeq', `${spec.cseq} ${spec.method}`],
    ];
    if (spec.contact) rest.push([hname('Contact', c), contactOf(x)]);
    rest.push(['User-Agent', x.agent]);
    if (spec.method === 'INVITE' || spec.method === 'REGISTER') rest.push(['Allow', ALLOW]);
    if (spec.extra) rest.push(...spec.extra);
    if (spec.ctype) rest.push([hname('Content-Type', c), spec.ctype]);
    const mf = spec.maxForwards ?? 70;
    const route: Header[] = spec.route ? [['Route', `<sip:${PROXY.ip};lr;ftag=${this.aTag}>`]] : [];
    const legX = renderMessage(
      `${spec.method} ${spec.ruriX} SIP/2.0`,
      [[hname('Via', c), viaX], ['Max-Forwards', String(mf)], ...route, ...rest],
      body,
      c,
    );
    const rr: Header[] = spec.recordRoute ? [['Record-Route', `<sip:${PROXY.ip};lr;ftag=${this.aTag}>`]] : [];
    const legY = renderMessage(
      `${spec.method} ${spec.ruriY} SIP/2.0`,
      [['Via', viaP], [hname('Via', c), viaXRecv], ...rr, ['Max-Forwards', String(Math.max(0, mf - 1))], ...rest],
      body,
      c,
    );
    return {
      from: spec.from,
      method: spec.method,
      cseq: spec.cseq,
      branch,
      pBranch,
      viaX,
      viaXRecv,
      viaP,
      fromVal: spec.fromVal,
      toVal: spec.toVal,
      ruriX: spec.ruriX,
      ruriY: spec.ruriY,
      legX,
      legY,
      bodyStatusLines: countStatusLines(body),
      recordRoute: spec.recordRoute ?? false,
    };
  }

  /** The answering side's response on both hops (the proxy only removes its own Via). */
  response(
    t: Txn,
    code: number,
    opts: { body?: string; ctype?: string; extra?: readonly Header[]; reason?: string } = {},
  ): { legY: string; legX: string; codeX: number } {
    const ySide: Side = t.from === 'a' ? 'b' : 'a';
    const y = this.ua(ySide);
    const c = y.compact;
    const toVal = t.toVal.includes(';tag=') ? t.toVal : `${t.toVal};tag=${ySide === 'b' ? this.bTag : this.aTag}`;
    const common: Header[] = [
      [hname('From', c), t.fromVal],
      [hname('To', c), toVal],
      [hname('Call-ID', c), this.callId],
      ['CSeq', `${t.cseq} ${t.method}`],
    ];
    const dialogForming = (code > 100 && code < 300) || (code >= 300 && code < 400);
    if (dialogForming && t.method !== 'MESSAGE' && t.method !== 'BYE' && t.method !== 'INFO' && t.method !== 'NOTIFY')
      common.push([hname('Contact', c), contactOf(y)]);
    common.push(['Server', y.agent]);
    if (opts.extra) common.push(...opts.extra);
    if (opts.ctype) common.push([hname('Content-Type', c), opts.ctype]);
    const rr: Header[] =
      t.recordRoute && code > 100 && code < 300 ? [['Record-Route', `<sip:${PROXY.ip};lr;ftag=${this.aTag}>`]] : [];
    const reason = opts.reason ?? REASON[code] ?? 'Unknown';
    const body = opts.body ?? '';
    const legY = renderMessage(
      `SIP/2.0 ${code} ${reason}`,
      [['Via', t.viaP], [hname('Via', c), t.viaXRecv], ...rr, ...common],
      body,
      c,
    );
    // RFC 3261 §16.7 step 6: a proxy must not forward a 503; Kamailio turns it into a 500 and keeps the phrase
    const codeX = code === 503 ? 500 : code;
    const legX = renderMessage(
      `SIP/2.0 ${codeX} ${reason}`,
      [[hname('Via', c), t.viaXRecv], ...rr, ...common],
      body,
      c,
    );
    return { legY, legX, codeX };
  }

  /** A response the proxy itself sends to the request's sender (100, challenges, 404, 408, 483 ...). */
  proxyResponse(t: Txn, code: number, extra: readonly Header[] = [], reason?: string): string {
    const toVal = t.toVal.includes(';tag=') ? t.toVal : `${t.toVal};tag=${this.proxyTag}`;
    return renderMessage(
      `SIP/2.0 ${code} ${reason ?? REASON[code] ?? 'Unknown'}`,
      [
        ['Via', t.viaXRecv],
        ['From', t.fromVal],
        ['To', code === 100 ? t.toVal : toVal],
        ['Call-ID', this.callId],
        ['CSeq', `${t.cseq} ${t.method}`],
        ...extra,
        ['Server', PROXY_AGENT],
      ],
      '',
      false,
    );
  }

  /** The ACK of a non-2xx final response: hop by hop, same branch (RFC 3261 §17.1.1.3); [legX, legY]. */
  ackNon2xx(t: Txn, toTag: string): [string, string] {
    const x = this.ua(t.from);
    const c = x.compact;
    const toVal = `${t.toVal};tag=${toTag}`;
    const tail: Header[] = [
      [hname('From', c), t.fromVal],
      [hname('To', c), toVal],
      [hname('Call-ID', c), this.callId],
      ['CSeq', `${t.cseq} ACK`],
    ];
    const legX = renderMessage(
      `ACK ${t.ruriX} SIP/2.0`,
      [[hname('Via', c), t.viaX], ['Max-Forwards', '70'], ...tail],
      '',
      c,
    );
    const legY = renderMessage(
      `ACK ${t.ruriY} SIP/2.0`,
      [
        ['Via', t.viaP],
        ['Max-Forwards', '70'],
        ['From', t.fromVal],
        ['To', toVal],
        ['Call-ID', this.callId],
        ['CSeq', `${t.cseq} ACK`],
      ],
      '',
      false,
    );
    return [legX, legY];
  }

  private hop(side: Side, toProxy: boolean): Pick<Draft, 'src' | 'dst' | 'transport' | 'callerLeg'> {
    const ua = this.ua(side);
    return {
      src: toProxy ? ua.ep : PROXY,
      dst: toProxy ? PROXY : ua.ep,
      transport: ua.transport,
      callerLeg: side === 'a',
    };
  }

  /** Sender -> proxy. */
  sendXP(t: Txn, text = t.legX, method = t.method, retransmission = false): void {
    this.s.send({
      ...this.hop(t.from, true),
      text,
      statusCode: 0,
      method,
      retransmission,
      bodyStatusLines: t.bodyStatusLines,
    });
  }

  /** Proxy -> receiver. */
  sendPY(t: Txn, text = t.legY, method = t.method, retransmission = false): void {
    const y: Side = t.from === 'a' ? 'b' : 'a';
    this.s.send({
      ...this.hop(y, false),
      text,
      statusCode: 0,
      method,
      retransmission,
      bodyStatusLines: t.bodyStatusLines,
    });
  }

  /** Receiver -> proxy (a response). */
  respYP(t: Txn, text: string, code: number, retransmission = false): void {
    const y: Side = t.from === 'a' ? 'b' : 'a';
    this.s.send({ ...this.hop(y, true), text, statusCode: code, method: t.method, retransmission, bodyStatusLines: 0 });
  }

  /** Proxy -> sender (a response). */
  respPX(t: Txn, text: string, code: number, retransmission = false): void {
    this.s.send({
      ...this.hop(t.from, false),
      text,
      statusCode: code,
      method: t.method,
      retransmission,
      bodyStatusLines: 0,
    });
  }

  /** Both hops of a response, with optional UDP retransmissions of a final one. */
  respond(t: Txn, code: number, opts: Parameters<Dialog['response']>[2] = {}, retransmitP = 0): void {
    const r = this.response(t, code, opts);
    this.respYP(t, r.legY, code);
    this.respPX(t, r.legX, r.codeX);
    const x = this.ua(t.from);
    if (code >= 200 && x.transport === 'udp' && this.rng.chance(retransmitP)) {
      // the final response is resent until the ACK (or the request resend) gets through
      this.wait(500);
      this.respPX(t, r.legX, r.codeX, true);
      if (this.rng.chance(0.3)) {
        this.wait(1000);
        this.respPX(t, r.legX, r.codeX, true);
      }
    }
  }
}

const FAILURES: readonly (readonly [number, number])[] = [
  [486, 30],
  [480, 20],
  [404, 12],
  [603, 12],
  [600, 4],
  [604, 3],
  [606, 3],
  [488, 6],
  [415, 2],
  [410, 2],
  [484, 3],
  [420, 1],
  [421, 1],
  [403, 4],
  [405, 1],
  [406, 1],
  [416, 1],
  [482, 1],
  [485, 1],
  [493, 1],
  [500, 6],
  [501, 2],
  [502, 4],
  [503, 6],
  [504, 4],
  [505, 1],
  [513, 1],
  [580, 2],
];
const REDIRECTS: readonly (readonly [number, number])[] = [
  [302, 6],
  [301, 3],
  [300, 1],
  [305, 1],
  [380, 1],
];
const SIPFRAG_FINALS = [
  'SIP/2.0 200 OK\r\n',
  'SIP/2.0 503 Service Unavailable\r\n',
  'SIP/2.0 503 Service Unavailable\r\n',
  'SIP/2.0 486 Busy Here\r\n',
  'SIP/2.0 603 Decline\r\n',
];
const MESSAGE_BODIES = [
  'call me back',
  'FYI the trunk answered with\r\nSIP/2.0 503 Service Unavailable\r\nwhen I dialled out',
  'see you at 5',
  'the PBX said:\r\nSIP/2.0 200 OK\r\nso it works now\r\n',
  'meeting moved to room 4',
];

type Scenario =
  | 'call'
  | 'call-auth'
  | 'reject'
  | 'redirect'
  | 'cancel'
  | 'timeout'
  | 'unknown-user'
  | 'register'
  | 'options'
  | 'message'
  | 'subscribe'
  | 'publish'
  | 'stray-bye';

const SCENARIOS: readonly (readonly [Scenario, number])[] = [
  ['call', 26],
  ['call-auth', 4],
  ['reject', 14],
  ['redirect', 3],
  ['cancel', 5],
  ['timeout', 2],
  ['unknown-user', 2],
  ['register', 14],
  ['options', 12],
  ['message', 8],
  ['subscribe', 5],
  ['publish', 3],
  ['stray-bye', 2],
];

/** Writes one scenario into the dialog. */
const play = (rng: Prng, d: Dialog, scenario: Scenario): void => {
  const a = d.a;
  const b = d.b;
  const aAor = d.aor('a');
  const bAor = d.aor('b');
  const fromA = `${aAor};tag=${d.aTag}`;
  const bRuri = `sip:${b.user}@${DOMAIN}`;
  const bContact = `sip:${b.user}@${b.ep.ip}:${b.ep.port}${b.transport === 'tcp' ? ';transport=tcp' : ''}`;
  const aContact = `sip:${a.user}@${a.ep.ip}:${a.ep.port}${a.transport === 'tcp' ? ';transport=tcp' : ''}`;

  const invite = (extra: readonly Header[] = []): Txn =>
    d.request({
      from: 'a',
      method: 'INVITE',
      cseq: d.aCseq,
      ruriX: bRuri,
      ruriY: bContact,
      fromVal: fromA,
      toVal: bAor,
      body: sdp(rng, a.ep.ip),
      ctype: 'application/sdp',
      contact: true,
      recordRoute: true,
      extra: [[hname('Supported', a.compact), 'replaces, timer'], ['Session-Expires', '1800'], ...extra],
    });
  const inDialog = (from: Side, method: string, spec: Partial<ReqSpec> = {}): Txn => {
    const cseq = spec.cseq ?? (from === 'a' ? ++d.aCseq : ++d.bCseq);
    return d.request({
      from,
      method,
      ruriX: from === 'a' ? bContact : aContact,
      ruriY: from === 'a' ? bContact : aContact,
      fromVal: from === 'a' ? fromA : `${bAor};tag=${d.bTag}`,
      toVal: from === 'a' ? `${bAor};tag=${d.bTag}` : fromA,
      route: true,
      ...spec,
      cseq,
    });
  };
  const tryingAndForward = (inv: Txn): void => {
    d.sendXP(inv);
    d.respPX(inv, d.proxyResponse(inv, 100, [], KAMAILIO_TRYING), 100);
    d.sendPY(inv);
    if (rng.chance(0.5)) {
      d.wait(rng.int(1, 20));
      d.respYP(inv, d.response(inv, 100).legY, 100);
    }
  };
  const ring = (inv: Txn): void => {
    d.wait(rng.int(50, 3000));
    if (rng.chance(0.15)) d.respond(inv, 183, { body: sdp(rng, b.ep.ip), ctype: 'application/sdp' });
    else d.respond(inv, 180);
  };
  const rejectAfter = (inv: Txn, code: number): void => {
    const r = d.response(inv, code);
    d.respYP(inv, r.legY, code);
    const [ackX, ackY] = d.ackNon2xx(inv, d.bTag);
    d.sendPY(inv, ackY, 'ACK');
    d.respPX(inv, r.legX, r.codeX);
    if (a.transport === 'udp' && rng.chance(0.08)) {
      d.wait(500);
      d.respPX(inv, r.legX, r.codeX, true);
    }
    d.wait(rng.int(1, 30));
    d.sendXP(inv, ackX, 'ACK');
  };
  const answeredCall = (inv: Txn): void => {
    tryingAndForward(inv);
    ring(inv);
    d.wait(rng.int(500, 10_000));
    d.respond(inv, 200, { body: sdp(rng, b.ep.ip), ctype: 'application/sdp' }, 0.06);
    d.wait(rng.int(1, 40));
    // the ACK of a 2xx is a new transaction of its own, routed end to end (RFC 3261 §13.2.2.4)
    const ack = inDialog('a', 'ACK', { cseq: inv.cseq });
    d.sendXP(ack);
    d.sendPY(ack);
    if (rng.chance(0.1)) {
      d.wait(rng.int(1000, 10_000));
      const info = inDialog('a', 'INFO', {
        body: `Signal=${rng.int(0, 9)}\r\nDuration=160\r\n`,
        ctype: 'application/dtmf-relay',
      });
      d.sendXP(info);
      d.sendPY(info);
      d.respond(
        info,
        rng.weighted<number>([
          [200, 8],
          [415, 1],
          [501, 1],
        ]),
      );
    }
    if (rng.chance(0.15)) {
      d.wait(rng.int(1000, 10_000));
      const refer = inDialog('a', 'REFER', {
        extra: [
          [hname('Refer-To', a.compact), `<sip:+1555${rng.int(1_000_000, 9_999_999)}@${DOMAIN}>`],
          ['Referred-By', aAor],
        ],
        contact: true,
      });
      d.sendXP(refer);
      d.sendPY(refer);
      d.respond(refer, 202);
      for (const frag of ['SIP/2.0 100 Trying\r\n', rng.pick(SIPFRAG_FINALS)]) {
        d.wait(rng.int(20, 4000));
        const notify = inDialog('b', 'NOTIFY', {
          body: frag,
          ctype: 'message/sipfrag;version=2.0',
          contact: true,
          extra: [
            [hname('Event', b.compact), 'refer'],
            ['Subscription-State', frag.includes(' 100 ') ? 'active;expires=60' : 'terminated;reason=noresource'],
          ],
        });
        d.sendXP(notify);
        d.sendPY(notify);
        d.respond(notify, 200);
      }
    }
    d.wait(Math.min(120_000, 1000 + rng.exp(20_000)));
    const bye = inDialog(rng.chance(0.6) ? 'a' : 'b', 'BYE');
    d.sendXP(bye);
    d.sendPY(bye);
    d.respond(bye, rng.chance(0.97) ? 200 : 481, {}, 0.02);
  };

  switch (scenario) {
    case 'call':
      answeredCall(invite());
      return;
    case 'call-auth': {
      const first = invite();
      d.sendXP(first);
      const challenge = d.proxyResponse(first, 407, [
        ['Proxy-Authenticate', `Digest realm="${DOMAIN}", nonce="${rng.hex(32)}", qop="auth"`],
      ]);
      d.respPX(first, challenge, 407);
      d.wait(rng.int(1, 20));
      d.sendXP(first, d.ackNon2xx(first, d.proxyTag)[0], 'ACK');
      d.aCseq++;
      const auth = `Digest username="${a.user}", realm="${DOMAIN}", nonce="${rng.hex(32)}", uri="${bRuri}", response="${rng.hex(32)}", qop=auth, nc=00000001, cnonce="${rng.hex(8)}"`;
      const second = invite([['Proxy-Authorization', auth]]);
      if (rng.chance(0.9)) answeredCall(second);
      else {
        tryingAndForward(second);
        rejectAfter(second, rng.weighted(FAILURES));
      }
      return;
    }
    case 'reject': {
      const inv = invite();
      tryingAndForward(inv);
      if (rng.chance(0.5)) ring(inv);
      d.wait(rng.int(100, 8000));
      rejectAfter(inv, rng.weighted(FAILURES));
      return;
    }
    case 'redirect': {
      const inv = invite();
      tryingAndForward(inv);
      d.wait(rng.int(5, 200));
      rejectAfter(inv, rng.weighted(REDIRECTS));
      return;
    }
    case 'cancel': {
      const inv = invite();
      tryingAndForward(inv);
      ring(inv);
      d.wait(rng.int(500, 15_000));
      const cancel = d.request({
        from: 'a',
        method: 'CANCEL',
        cseq: inv.cseq,
        ruriX: inv.ruriX,
        ruriY: inv.ruriY,
        fromVal: inv.fromVal,
        toVal: inv.toVal,
        sameBranchAs: inv,
      });
      d.sendXP(cancel);
      d.respPX(cancel, d.proxyResponse(cancel, 200), 200);
      d.sendPY(cancel);
      d.respYP(cancel, d.response(cancel, 200).legY, 200);
      rejectAfter(inv, 487);
      return;
    }
    case 'timeout': {
      const inv = invite();
      d.sendXP(inv);
      d.respPX(inv, d.proxyResponse(inv, 100, [], KAMAILIO_TRYING), 100);
      d.sendPY(inv);
      if (b.transport === 'udp') {
        // Timer A (RFC 3261 §17.1.1.2): resend at 0.5 s, 1 s, 2 s, 4 s ... until the proxy gives up
        for (let i = 0, gap = 500; i < 4; i++, gap *= 2) {
          d.wait(gap);
          d.sendPY(inv, inv.legY, 'INVITE', true);
        }
      }
      d.wait(rng.int(8000, 30_000));
      d.respPX(inv, d.proxyResponse(inv, 408), 408);
      d.wait(rng.int(1, 20));
      d.sendXP(inv, d.ackNon2xx(inv, d.proxyTag)[0], 'ACK');
      return;
    }
    case 'unknown-user': {
      const inv = invite();
      d.sendXP(inv);
      d.respPX(inv, d.proxyResponse(inv, 100, [], KAMAILIO_TRYING), 100);
      d.respPX(inv, d.proxyResponse(inv, 404), 404);
      d.wait(rng.int(1, 20));
      d.sendXP(inv, d.ackNon2xx(inv, d.proxyTag)[0], 'ACK');
      return;
    }
    case 'register': {
      const reg = (cseq: number, expires: number, extra: readonly Header[]): Txn =>
        d.request({
          from: 'a',
          method: 'REGISTER',
          cseq,
          ruriX: `sip:${DOMAIN}`,
          ruriY: `sip:${DOMAIN}`,
          fromVal: fromA,
          toVal: aAor,
          contact: true,
          extra: [['Expires', String(expires)], ...extra],
        });
      let expires = rng.chance(0.05) ? 30 : 3600;
      let first = reg(d.aCseq, expires, []);
      d.sendXP(first);
      if (expires < 60) {
        d.respPX(first, d.proxyResponse(first, 423, [['Min-Expires', '60']]), 423);
        d.wait(rng.int(5, 50));
        expires = 3600;
        first = reg(++d.aCseq, expires, []);
        d.sendXP(first);
      }
      const nonce = rng.hex(32);
      d.respPX(
        first,
        d.proxyResponse(first, 401, [['WWW-Authenticate', `Digest realm="${DOMAIN}", nonce="${nonce}"`]]),
        401,
      );
      d.wait(rng.int(5, 50));
      const auth = `Digest username="${a.user}", realm="${DOMAIN}", nonce="${nonce}", uri="sip:${DOMAIN}", response="${rng.hex(32)}", algorithm=MD5`;
      const second = reg(++d.aCseq, expires, [['Authorization', auth]]);
      d.sendXP(second);
      if (rng.chance(0.08)) d.respPX(second, d.proxyResponse(second, 403), 403);
      else d.respPX(second, d.proxyResponse(second, 200, [['Contact', `${contactOf(a)};expires=${expires}`]]), 200);
      return;
    }
    case 'options': {
      const toProxy = rng.chance(0.6);
      const mf = rng.chance(0.05) ? 0 : 70;
      const opt = d.request({
        from: 'a',
        method: 'OPTIONS',
        cseq: d.aCseq,
        ruriX: toProxy ? `sip:${PROXY.ip}` : bRuri,
        ruriY: bContact,
        fromVal: fromA,
        toVal: toProxy ? `<sip:${PROXY.ip}>` : bAor,
        contact: true,
        maxForwards: mf,
        extra: [['Accept', 'application/sdp']],
      });
      d.sendXP(opt);
      if (mf === 0) d.respPX(opt, d.proxyResponse(opt, 483), 483);
      else if (toProxy) d.respPX(opt, d.proxyResponse(opt, 200, [['Allow', ALLOW]]), 200);
      else {
        d.sendPY(opt);
        d.respond(
          opt,
          rng.weighted<number>([
            [200, 10],
            [404, 1],
            [480, 1],
            [503, 1],
            [302, 1],
          ]),
          {},
          0.03,
        );
      }
      return;
    }
    case 'message': {
      const msg = d.request({
        from: 'a',
        method: 'MESSAGE',
        cseq: d.aCseq,
        ruriX: bRuri,
        ruriY: bContact,
        fromVal: fromA,
        toVal: bAor,
        body: rng.pick(MESSAGE_BODIES),
        ctype: 'text/plain',
      });
      d.sendXP(msg);
      d.sendPY(msg);
      d.respond(
        msg,
        rng.weighted<number>([
          [200, 12],
          [202, 3],
          [404, 1],
          [480, 1],
          [486, 1],
          [415, 1],
        ]),
        {},
        0.03,
      );
      return;
    }
    case 'subscribe': {
      const sub = d.request({
        from: 'a',
        method: 'SUBSCRIBE',
        cseq: d.aCseq,
        ruriX: bRuri,
        ruriY: bContact,
        fromVal: fromA,
        toVal: bAor,
        contact: true,
        recordRoute: true,
        extra: [
          [hname('Event', a.compact), 'presence'],
          ['Expires', '3600'],
          ['Accept', 'application/pidf+xml'],
        ],
      });
      d.sendXP(sub);
      d.sendPY(sub);
      const code = rng.weighted<number>([
        [200, 10],
        [202, 3],
        [489, 1],
        [423, 1],
        [404, 1],
        [403, 1],
      ]);
      d.respond(sub, code, code < 300 ? { extra: [['Expires', '3600']] } : {});
      if (code < 300) {
        d.wait(rng.int(5, 200));
        const pidf = `<?xml version="1.0" encoding="UTF-8"?>\r\n<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:${b.user}@${DOMAIN}">\r\n<tuple id="t${rng.hex(6)}"><status><basic>${rng.chance(0.7) ? 'open' : 'closed'}</basic></status></tuple>\r\n</presence>\r\n`;
        const notify = inDialog('b', 'NOTIFY', {
          body: pidf,
          ctype: 'application/pidf+xml',
          contact: true,
          extra: [
            [hname('Event', b.compact), 'presence'],
            ['Subscription-State', 'active;expires=3600'],
          ],
        });
        d.sendXP(notify);
        d.sendPY(notify);
        d.respond(notify, 200);
      }
      return;
    }
    case 'publish': {
      const pub = d.request({
        from: 'a',
        method: 'PUBLISH',
        cseq: d.aCseq,
        ruriX: `sip:${a.user}@${DOMAIN}`,
        ruriY: `sip:${a.user}@${DOMAIN}`,
        fromVal: fromA,
        toVal: aAor,
        body: `<?xml version="1.0" encoding="UTF-8"?>\r\n<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:${a.user}@${DOMAIN}"><tuple id="p"><status><basic>open</basic></status></tuple></presence>\r\n`,
        ctype: 'application/pidf+xml',
        extra: [
          [hname('Event', a.compact), 'presence'],
          ['Expires', '600'],
        ],
      });
      d.sendXP(pub);
      const code = rng.weighted<number>([
        [200, 10],
        [412, 1],
        [489, 1],
        [400, 1],
        [413, 1],
      ]);
      d.respPX(
        pub,
        d.proxyResponse(
          pub,
          code,
          code === 200
            ? [
                ['SIP-ETag', rng.hex(12)],
                ['Expires', '600'],
              ]
            : [],
        ),
        code,
      );
      return;
    }
    case 'stray-bye': {
      const bye = d.request({
        from: 'a',
        method: 'BYE',
        cseq: d.aCseq,
        ruriX: bContact,
        ruriY: bContact,
        fromVal: fromA,
        toVal: `${bAor};tag=${rng.hex(8)}`,
        route: true,
      });
      d.sendXP(bye);
      d.respPX(bye, d.proxyResponse(bye, 481), 481);
      return;
    }
  }
};

/** Min-heap of messages by send time (ties keep creation order, so a dialog's own order holds). */
class MessageHeap {
  private readonly items: { t: number; seq: number; m: WireMessage }[] = [];

  get size(): number {
    return this.items.length;
  }

  peekTime(): number {
    return this.items[0]?.t ?? Number.POSITIVE_INFINITY;
  }

  push(m: WireMessage, seq: number): void {
    const items = this.items;
    items.push({ t: m.timeUs, seq, m });
    let i = items.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  pop(): WireMessage | null {
    const items = this.items;
    const top = items[0];
    if (top === undefined) return null;
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && this.less(l, m)) m = l;
        if (r < items.length && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top.m;
  }

  private less(i: number, j: number): boolean {
    const x = this.items[i];
    const y = this.items[j];
    if (x === undefined || y === undefined) return false;
    return x.t < y.t || (x.t === y.t && x.seq < y.seq);
  }

  private swap(i: number, j: number): void {
    const x = this.items[i];
    const y = this.items[j];
    if (x === undefined || y === undefined) return;
    this.items[i] = y;
    this.items[j] = x;
  }
}

/** 2026-11-24 13:00:00 UTC: a fixed start, so the trace is the same on every run. */
export const TRAFFIC_START_US = Date.UTC(2026, 10, 24, 13, 0, 0) * 1000;

/** An endless, deterministic stream of SIP messages in send order. */
export class SipTraffic {
  private readonly rng: Prng;
  private readonly uas: UserAgent[];
  private readonly heap = new MessageHeap();
  private seq = 0;
  private nextArrivalUs: number;
  private lastUs: number;
  private arrivals = true;

  constructor(
    seed: number,
    private readonly dialogsPerSecond = 40,
  ) {
    this.rng = new Prng(seed);
    this.uas = makeUserAgents(this.rng.fork(), 4000);
    this.nextArrivalUs = TRAFFIC_START_US;
    this.lastUs = TRAFFIC_START_US;
  }

  /** Stops starting dialogs: next() returns the rest of the open ones, then null. */
  drain(): void {
    this.arrivals = false;
  }

  /** Starts dialogs again after a drain. */
  resume(): void {
    this.arrivals = true;
    this.nextArrivalUs = Math.max(this.nextArrivalUs, this.lastUs);
  }

  /** The next message in send order, or null when draining and every dialog has ended. */
  next(): WireMessage | null {
    while (this.arrivals && this.nextArrivalUs <= this.heap.peekTime()) {
      this.startDialog(this.nextArrivalUs);
      this.nextArrivalUs += Math.max(1, Math.round(this.rng.exp(1e6 / this.dialogsPerSecond)));
    }
    const m = this.heap.pop();
    if (m !== null) this.lastUs = m.timeUs;
    return m;
  }

  private startDialog(atUs: number): void {
    const rng = this.rng.fork();
    const a = rng.pick(this.uas);
    let b = rng.pick(this.uas);
    while (b === a) b = rng.pick(this.uas);
    const script = new Script(atUs, rng);
    play(rng, new Dialog(rng, script, a, b), rng.weighted(SCENARIOS));
    for (const m of script.out) this.heap.push(m, this.seq++);
  }
}
