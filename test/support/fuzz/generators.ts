import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { MAX_LINE_BYTES } from '../../../lambda/engine/text-scanner.js';
import { CORPUS_DIR } from '../corpus.js';
import type { GzipPlan } from './invariance.js';

/**
 * Inputs for the engine's property tests and `npm run fuzz`: mutated windows of the shared corpus,
 * SIP-like token soup, random bytes behind container magic numbers, and damaged gzip. Every
 * generator is a fast-check arbitrary, so a failing case shrinks and replays from a seed.
 */

/** Corpus files the windows come from (gzip ones are inflated: the window is of the log itself). */
export const CORPUS_SOURCES = [
  'mixed.ngrep.txt',
  'mixed.pjsip-style.log',
  'mixed.kamailio-sipdump.data',
  'mixed.kamailio-proxy.log',
  'sipp-uac-cancel-tcp.messages.log',
  'sipp-uac-invite.messages.log',
  'mixed.tcpdump-A.txt.gz',
  'large.ngrep.txt.gz',
  'mixed.pcap',
  'sipp.pcapng',
] as const;

const loaded = new Map<string, Buffer>();

/** The bytes of a corpus source (inflated once, then kept). */
export const corpusBytes = (file: string): Buffer => {
  let b = loaded.get(file);
  if (b === undefined) {
    const raw = readFileSync(`${CORPUS_DIR}${file}`);
    b = file.endsWith('.gz') ? gunzipSync(raw) : raw;
    loaded.set(file, b);
  }
  return b;
};

/** One way to damage a window; positions are fractions of the current length so that they shrink well. */
export type Mutation =
  | { readonly op: 'bitflip'; readonly at: number; readonly bit: number }
  | { readonly op: 'deleteBytes' | 'duplicateRegion'; readonly at: number; readonly len: number }
  | { readonly op: 'insertBytes'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly op: 'splice'; readonly at: number; readonly file: string; readonly from: number; readonly len: number }
  | { readonly op: 'longLine'; readonly at: number; readonly delta: number; readonly fill: number }
  | { readonly op: 'contentLength'; readonly at: number; readonly value: string }
  | { readonly op: 'statusInBody'; readonly at: number; readonly code: number }
  | { readonly op: 'crlfRewrite'; readonly at: number; readonly len: number; readonly toCrlf: boolean }
  | { readonly op: 'invalidUtf8' | 'nulBytes'; readonly at: number; readonly count: number }
  | { readonly op: 'truncate'; readonly at: number }
  | { readonly op: 'headerDelete'; readonly at: number };

const frac = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
const pos = (f: number, len: number): number => Math.floor(f * (len + 1));

const CONTENT_LENGTHS = ['0', '1', '-1', '999999999', '9007199254740993', '99999999999999999999', '4194304', 'x', ''];

/** A line around the scanner's line limit: just under, at, or just over it. */
const longLineArb: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constant('longLine' as const),
  at: frac,
  delta: fc.integer({ min: -3, max: 3 }),
  fill: fc.constantFrom(0x78, 0x20, 0x00, 0x2e),
});

/** Every mutation but long lines (which cost 1 MiB each and are drawn apart). */
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('bitflip' as const), at: frac, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({
    op: fc.constantFrom('deleteBytes' as const, 'duplicateRegion' as const),
    at: frac,
    len: fc.integer({ min: 1, max: 4096 }),
  }),
  fc.record({ op: fc.constant('insertBytes' as const), at: frac, bytes: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({
    op: fc.constant('splice' as const),
    at: frac,
    file: fc.constantFrom(...CORPUS_SOURCES),
    from: frac,
    len: fc.integer({ min: 1, max: 8192 }),
  }),
  fc.record({ op: fc.constant('contentLength' as const), at: frac, value: fc.constantFrom(...CONTENT_LENGTHS) }),
  fc.record({
    op: fc.constant('statusInBody' as const),
    at: frac,
    code: fc.constantFrom(100, 180, 200, 486, 503, 603),
  }),
  fc.record({
    op: fc.constant('crlfRewrite' as const),
    at: frac,
    len: fc.integer({ min: 1, max: 65536 }),
    toCrlf: fc.boolean(),
  }),
  fc.record({
    op: fc.constantFrom('invalidUtf8' as const, 'nulBytes' as const),
    at: frac,
    count: fc.integer({ min: 1, max: 16 }),
  }),
  fc.record({ op: fc.constant('truncate' as const), at: frac }),
  fc.record({ op: fc.constant('headerDelete' as const), at: frac }),
);

const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Applies one mutation. */
export const mutate = (b: Buffer, m: Mutation): Buffer => {
  const at = pos(m.at, b.length);
  switch (m.op) {
    case 'bitflip': {
      if (b.length === 0) return b;
      const c = Buffer.from(b);
      const i = Math.min(at, b.length - 1);
      c[i] = (c[i] ?? 0) ^ (1 << m.bit);
      return c;
    }
    case 'deleteBytes':
      return Buffer.concat([b.subarray(0, at), b.subarray(at + m.len)]);
    case 'duplicateRegion':
      return Buffer.concat([b.subarray(0, at + m.len), b.subarray(at)]);
    case 'insertBytes':
      return Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
    case 'splice': {
      const src = corpusBytes(m.file);
      const from = pos(m.from, src.length);
      return Buffer.concat([b.subarray(0, at), src.subarray(from, from + m.len), b.subarray(at)]);
    }
    case 'longLine': {
      const line = Buffer.alloc(MAX_LINE_BYTES + m.delta, m.fill);
      return Buffer.concat([b.subarray(0, at), line, ascii('\n'), b.subarray(at)]);
    }
    case 'contentLength': {
      // rewrite the value of the Content-Length header at or after `at` (or add one)
      const s = b.toString('latin1');
      const i = s.indexOf('Content-Length:', at);
      if (i < 0) return Buffer.concat([b.subarray(0, at), ascii(`Content-Length: ${m.value}\r\n`), b.subarray(at)]);
      const e = s.indexOf('\n', i);
      const lineEnd = e < 0 ? s.length : s[e - 1] === '\r' ? e - 1 : e;
      return Buffer.concat([b.subarray(0, i), ascii(`Content-Length: ${m.value}`), b.subarray(lineEnd)]);
    }
    case 'statusInBody':
      return Buffer.concat([b.subarray(0, at), ascii(`SIP/2.0 ${m.code} Status\r\n`), b.subarray(at)]);
    case 'crlfRewrite': {
      const region = b.toString('latin1', at, at + m.len);
      const out = m.toCrlf ? region.replace(/\r?\n/g, '\r\n') : region.replace(/\r\n/g, '\n');
      return Buffer.concat([b.subarray(0, at), ascii(out), b.subarray(at + m.len)]);
    }
    case 'invalidUtf8':
      return Buffer.concat([
        b.subarray(0, at),
        Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0xed, 0xa0, 0x80].slice(0, m.count)),
        b.subarray(at),
      ]);
    case 'nulBytes':
      return Buffer.concat([b.subarray(0, at), Buffer.alloc(m.count), b.subarray(at)]);
    case 'truncate':
      return b.subarray(0, at);
    case 'headerDelete': {
      const s = b.indexOf(0x0a, at);
      if (s < 0) return b;
      const e = b.indexOf(0x0a, s + 1);
      return Buffer.concat([b.subarray(0, s + 1), e < 0 ? Buffer.alloc(0) : b.subarray(e + 1)]);
    }
  }
};

/** A generated input and how it is described in a saved reproducer. */
export interface FuzzInput {
  readonly kind: 'mutate' | 'soup' | 'magic' | 'gzmut';
  readonly describe: Record<string, unknown>;
  readonly bytes: Buffer;
}

/** Options of the generators. */
export interface GeneratorOptions {
  /** Largest corpus window (before mutations). */
  readonly maxWindow: number;
  /** Whether long-line mutations (over 1 MiB each) may be drawn. */
  readonly longLines: boolean;
}

/** A window of a corpus file with 1 to 3 mutations. */
export const mutatedWindow = (o: GeneratorOptions): fc.Arbitrary<FuzzInput> =>
  fc
    .record({
      file: fc.constantFrom(...CORPUS_SOURCES),
      from: frac,
      len: fc.integer({ min: 1, max: o.maxWindow }),
      // windows that start at 0 keep a capture's magic number
      atStart: fc.boolean(),
      ops: fc.array(
        o.longLines
          ? fc.oneof({ weight: 15, arbitrary: mutationArb }, { weight: 1, arbitrary: longLineArb })
          : mutationArb,
        { minLength: 1, maxLength: 3 },
      ),
    })
    .map(({ file, from, len, atStart, ops }) => {
      const src = corpusBytes(file);
      const start = atStart ? 0 : pos(from, src.length);
      let bytes: Buffer = src.subarray(start, start + len);
      for (const m of ops) bytes = mutate(bytes, m);
      return { kind: 'mutate' as const, describe: { file, start, len, ops: ops.map((m) => m.op) }, bytes };
    });

/** A corpus window with a line around the scanner's line limit somewhere in it. */
export const windowWithLongLine = (maxWindow: number): fc.Arbitrary<FuzzInput> =>
  fc
    .record({
      file: fc.constantFrom(...CORPUS_SOURCES),
      from: frac,
      len: fc.integer({ min: 1, max: maxWindow }),
      line: longLineArb,
    })
    .map(({ file, from, len, line }) => {
      const src = corpusBytes(file);
      const start = pos(from, src.length);
      const bytes = mutate(src.subarray(start, start + len), line);
      return { kind: 'mutate' as const, describe: { file, start, len, ops: ['longLine'] }, bytes };
    });

const TOKENS = [
  'SIP/2.0 200 OK\r\n',
  'SIP/2.0 180 Ringing\r\n',
  'SIP/2.0 486 Busy Here\r\n',
  'SIP/2.0 699 Odd\r\n',
  'SIP/2.0 2\r\n',
  'INVITE sip:bob@example.com SIP/2.0\r\n',
  'OPTIONS sip:a@b SIP/2.0\n',
  'MESSAGE sip:x@y SIP/2.0\r\n',
  'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n',
  'Via: SIP/2.0/TCP 10.0.0.2:5060;branch=z9hG4bK2\r\n',
  'Call-ID: abc@host\r\n',
  'i: short@host\r\n',
  'CSeq: 1 INVITE\r\n',
  'CSeq: 2 BYE\r\n',
  'Content-Length: 0\r\n',
  'Content-Length: 20\r\n',
  'Content-Length: 999999999\r\n',
  'l: 98\n',
  'Content-Type: message/sipfrag\r\n',
  '\r\n',
  '\n',
  'v=0\r\n',
  'U 2024/01/02 03:04:05.123456 10.0.0.1:5060 -> 10.0.0.2:5060\n',
  'T 2024/01/02 03:04:05.123456 10.0.0.1:5060 -> 10.0.0.2:5060 [AP]\n',
  '#\n',
  'interface: lo (127.0.0.0/255.0.0.0)\n',
  '====================\n',
  'time: 1700000000.123456\n',
  'time: 17954979707284913\n',
  'proto: udp ipv4\n',
  'srcip: 10.0.0.1\nsrcport: 5060\ndstip: 10.0.0.2\ndstport: 5060\n',
  '----------------------------------------------------------------------\n',
  '2024-01-02 03:04:05.678 ERROR pjsua_core.c  .RX 512 bytes Response msg 200/INVITE/cseq=1 (rdata0x1) from UDP 10.0.0.1:5060:\n',
  '--end msg--\n',
  '<--- Received SIP response (312 bytes) from UDP:10.0.0.1:5060 --->\n',
  ' ---><--- Transmitting (no NAT) to 10.0.0.1:5060 --->\n',
  'recv 512 bytes from udp/[10.0.0.1]:5060 at 03:04:05.678:\n',
  '   ------------------------------------------------------------------------\n',
  '----------------------------------------------- 2024-01-02 03:04:05.678901\nUDP message received [512] bytes :\n\n',
  '03:04:05.678901 IP 10.0.0.1.5060 > 10.0.0.2.5060: SIP: SIP/2.0 200 OK\n',
  '03:04:05.678901 IP 10.0.0.1.5060 > 10.0.0.2.5060: Flags [P.], seq 1:100, ack 1, win 1, length 99\n',
  'E..(..@.@.........\n',
  'Jan  2 03:04:05 host kamailio[1]: ACC: transaction answered: timestamp=1700000000;method=INVITE;from_tag=a;to_tag=b;call_id=c;code=200;reason=OK\n',
  '\u00ff\u00fe\u0000',
  '...',
];

/** Most tokens in one soup input. */
export const TOKEN_SOUP_MAX = 200;

/** SIP-like token soup: start lines, headers, log headers of every format, line ends and noise. */
export const tokenSoup = (maxTokens: number): fc.Arbitrary<FuzzInput> =>
  fc
    .array(
      fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(...TOKENS) },
        { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
      ),
      {
        maxLength: maxTokens,
      },
    )
    .map((tokens) => ({ kind: 'soup' as const, describe: { tokens: tokens.length }, bytes: ascii(tokens.join('')) }));

const MAGIC: Readonly<Record<string, readonly number[]>> = {
  gzip: [0x1f, 0x8b],
  gzipDeflate: [0x1f, 0x8b, 0x08, 0x00],
  pcapLe: [0xd4, 0xc3, 0xb2, 0xa1],
  pcapBe: [0xa1, 0xb2, 0xc3, 0xd4],
  pcapNs: [0x4d, 0x3c, 0xb2, 0xa1],
  pcapng: [0x0a, 0x0d, 0x0d, 0x0a],
  hep3: [0x48, 0x45, 0x50, 0x33],
  none: [],
};

/** Random bytes behind a container's magic number. */
export const magicBytes = (maxBytes: number): fc.Arbitrary<FuzzInput> =>
  fc
    .record({ magic: fc.constantFrom(...Object.keys(MAGIC)), rest: fc.uint8Array({ maxLength: maxBytes }) })
    .map(({ magic, rest }) => ({
      kind: 'magic' as const,
      describe: { magic },
      bytes: Buffer.concat([Buffer.from(MAGIC[magic] ?? []), rest]),
    }));

/** A corpus window, gzipped, then damaged: cut, junk after the last member, or bits flipped. */
export const gzipMutation = (o: GeneratorOptions): fc.Arbitrary<FuzzInput> =>
  fc
    .record({
      file: fc.constantFrom(...CORPUS_SOURCES),
      from: frac,
      len: fc.integer({ min: 1, max: o.maxWindow }),
      level: fc.constantFrom(1, 6, 9),
      twoMembers: fc.boolean(),
      damage: fc.oneof(
        fc.record({ op: fc.constant('truncate' as const), at: frac }),
        fc.record({ op: fc.constant('trailing' as const), junk: fc.uint8Array({ minLength: 1, maxLength: 32 }) }),
        fc.record({ op: fc.constant('bitflip' as const), at: frac, bit: fc.integer({ min: 0, max: 7 }) }),
        fc.record({ op: fc.constant('insertBytes' as const), at: frac, bytes: fc.uint8Array({ maxLength: 8 }) }),
      ),
    })
    .map(({ file, from, len, level, twoMembers, damage }) => {
      const src = corpusBytes(file);
      const start = pos(from, src.length);
      const win = src.subarray(start, start + len);
      const half = Math.floor(win.length / 2);
      const gz = twoMembers
        ? Buffer.concat([gzipSync(win.subarray(0, half), { level }), gzipSync(win.subarray(half), { level })])
        : gzipSync(win, { level });
      let bytes: Buffer;
      if (damage.op === 'trailing') bytes = Buffer.concat([gz, damage.junk]);
      else if (damage.op === 'insertBytes') bytes = mutate(gz, damage);
      else bytes = mutate(gz, damage);
      return { kind: 'gzmut' as const, describe: { file, start, len, level, twoMembers, ops: [damage.op] }, bytes };
    });

/** Captures and files of SIP's other transports (test/fixtures): WebSocket, SCTP, HEP v2/v3, raw HEP3. */
export const TRANSPORT_FIXTURES = [
  'pcap/websocket.pcap',
  'pcap/sctp.pcap',
  'pcap/hep3.pcap',
  'pcap/hep2.pcap',
  'pcap/hep3-tcp.pcap',
  'pcap/hep3.raw',
] as const;

/** One of the transport fixtures, whole (their parsers' state spans the file), with 0 to 3 mutations. */
export const mutatedTransportFixture = (): fc.Arbitrary<FuzzInput> =>
  fc
    .record({ file: fc.constantFrom(...TRANSPORT_FIXTURES), ops: fc.array(mutationArb, { maxLength: 3 }) })
    .map(({ file, ops }) => {
      let bytes: Buffer = readFileSync(new URL(`../../fixtures/${file}`, import.meta.url));
      for (const m of ops) bytes = mutate(bytes, m);
      return { kind: 'mutate' as const, describe: { file, ops: ops.map((m) => m.op) }, bytes };
    });

/**
 * Text logs of the formats the shared corpus does not hold (test/fixtures/text: Asterisk chan_sip, FreeSWITCH,
 * tcpdump's ASCII and hex dumps on several link types, ngrep's dotted modes, SIPp's short messages, sngrep, baresip).
 */
export const TEXT_FIXTURES = [
  'text/chan-sip-console.log',
  'text/chan-sip-full.log',
  'text/freeswitch-siptrace.log',
  'text/freeswitch-siptrace-old.log',
  'text/tcpdump-A-crafted.txt',
  'text/tcpdump-A-e-sll2-loopback.txt',
  'text/tcpdump-X-crafted.txt',
  'text/tcpdump-XX-e-tttt-crafted.txt',
  'text/ngrep-W-normal-crafted.txt',
  'text/ngrep-W-single-t-crafted.txt',
  'text/ngrep-x-crafted.txt',
  'text/sipp-retrans-uac.shortmessages.log',
  'text/sngrep-mixedcut.txt.gz',
  'text/tcpdump-A-q-t-tcp-mixed.txt.gz',
  'baresip/baresip-calls.log',
] as const;

/** The bytes of a fixture (a gzip one inflated, as for the corpus: the window is of the log itself). */
const fixtureBytes = (file: string): Buffer => {
  let b = loaded.get(file);
  if (b === undefined) {
    const raw = readFileSync(new URL(`../../fixtures/${file}`, import.meta.url));
    b = file.endsWith('.gz') ? gunzipSync(raw) : raw;
    loaded.set(file, b);
  }
  return b;
};

/** A window of one of the text fixtures (up to 32 KiB, often from its start) with 0 to 3 mutations. */
export const mutatedTextFixture = (): fc.Arbitrary<FuzzInput> =>
  fc
    .record({
      file: fc.constantFrom(...TEXT_FIXTURES),
      from: frac,
      len: fc.integer({ min: 1, max: 32 * 1024 }),
      atStart: fc.boolean(),
      ops: fc.array(mutationArb, { maxLength: 3 }),
    })
    .map(({ file, from, len, atStart, ops }) => {
      const src = fixtureBytes(file);
      const start = atStart ? 0 : pos(from, src.length);
      let bytes: Buffer = src.subarray(start, start + len);
      for (const m of ops) bytes = mutate(bytes, m);
      return { kind: 'mutate' as const, describe: { file, start, len, ops: ops.map((m) => m.op) }, bytes };
    });

/** Any of the generators, weighted towards mutated corpus windows. */
export const anyInput = (o: GeneratorOptions): fc.Arbitrary<FuzzInput> =>
  fc.oneof(
    { weight: 5, arbitrary: mutatedWindow(o) },
    { weight: 3, arbitrary: tokenSoup(TOKEN_SOUP_MAX) },
    { weight: 1, arbitrary: magicBytes(4096) },
    { weight: 2, arbitrary: gzipMutation(o) },
    { weight: 1, arbitrary: mutatedTransportFixture() },
    { weight: 1, arbitrary: mutatedTextFixture() },
  );

/** How a case hands its bytes over: chunk starts, as Uint8Array or Buffer, and a gzip plan. */
export interface DeliveryPlan {
  readonly cuts: number[];
  readonly uint8: boolean;
  readonly gzip: GzipPlan;
}

/** Chunkings from 1-byte to 64 KiB chunks (as fractions, so that they fit any length) and a gzip plan. */
export const deliveryPlan: fc.Arbitrary<{
  cutFracs: number[];
  smallChunks: number;
  uint8: boolean;
  gzip: { level: number; split: number | null };
}> = fc.record({
  cutFracs: fc.array(frac, { maxLength: 64 }),
  // 0: no run of small chunks; else chunks of this size over one stretch (1-byte chunks included)
  smallChunks: fc.constantFrom(0, 0, 1, 7, 4096, 65536),
  uint8: fc.boolean(),
  gzip: fc.record({ level: fc.constantFrom(1, 6, 9), split: fc.option(frac, { nil: null }) }),
});

/** Turns a drawn plan into offsets for an input of `len` bytes. */
export const planFor = (
  len: number,
  p: { cutFracs: number[]; smallChunks: number; uint8: boolean; gzip: { level: number; split: number | null } },
): DeliveryPlan => {
  const cuts = new Set<number>(p.cutFracs.map((f) => pos(f, len)));
  if (p.smallChunks > 0 && len > 1) {
    // a stretch of at most 2,000 small chunks somewhere in the input
    const start = pos(p.cutFracs[0] ?? 0, len);
    for (let i = 0, c = start; i < 2000 && c < len; i++, c += p.smallChunks) cuts.add(c);
  }
  const sorted = [...cuts].filter((c) => c > 0 && c < len).sort((a, b) => a - b);
  const split = p.gzip.split === null ? undefined : pos(p.gzip.split, len);
  const gzip: GzipPlan = split === undefined ? { level: p.gzip.level } : { level: p.gzip.level, split };
  return { cuts: sorted, uint8: p.uint8, gzip };
};
