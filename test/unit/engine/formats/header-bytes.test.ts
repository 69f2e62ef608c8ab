import { describe, expect, it } from 'vitest';
import { TEXT_FORMAT_READERS } from '../../../../lambda/engine/formats/index.js';
import { InternTable, internHash } from '../../../../lambda/engine/formats/intern-table.js';
import { decimalAt, transportAt } from '../../../../lambda/engine/formats/line-bytes.js';
import { findDateTime } from '../../../../lambda/engine/formats/line-utils.js';
import { ngrepReader } from '../../../../lambda/engine/formats/ngrep.js';
import { pjsipReader } from '../../../../lambda/engine/formats/pjsip.js';
import { sippReader } from '../../../../lambda/engine/formats/sipp.js';
import { type MatchContext, NEED_MORE, type TextFormatReader } from '../../../../lambda/engine/formats/text-format.js';
import { findLogStamp, findLogStampAt, localStamp } from '../../../../lambda/engine/log-stamp.js';
import { transportNamed } from '../../../../lambda/engine/transport.js';
import { corpusTextLines, mutations, seededRandom } from '../../../support/line-mutations.js';

/**
 * The readers take their header lines from bytes (no string, no regular expression on the common
 * shapes). Each must give exactly what the expression it documents gives on the line as latin1
 * text: checked here against those expressions, on every line of the shared corpus's text logs and
 * on thousands of mutations of the header lines (bytes replaced, doubled, dropped; white space,
 * CR and latin1 bytes put in), from a fixed seed.
 */

const FINAL: MatchContext = { final: true, isHeaderLine: () => false };

/** Bytes a mutation puts in: the ones the shapes hinge on, white space as `\s` reads it, and latin1 beyond ASCII. */
const MUTATION_BYTES = ' \t\r\xa0\x0b-:[]#.0123456789/+ZTSUWßÿ<>()';

/** `count` seeded mutations of `line` with MUTATION_BYTES, from `seed`. */
const mutated = (line: string, count: number, seed: number): string[] =>
  mutations(line, count, seededRandom(seed), MUTATION_BYTES);

/** What a reader's match makes of one line (with a blank line after it), reduced to comparable data. */
const matched = (reader: TextFormatReader, line: string, after = '\n'): unknown => {
  const buf = Buffer.from(`${line}\n${after}`, 'latin1');
  const m = reader.match(buf, 0, line.length, buf.length, FINAL);
  if (m === null || m === NEED_MORE) return m;
  if (m.kind !== 'inline') return { kind: m.kind, next: m.next };
  const { stamp, src, dst, transport } = m.meta;
  return { stamp, src, dst, transport, next: m.next };
};

// The expressions the readers document, as they were matched on the line's text before.
const PJSIP =
  /<--- (Received|Transmitting) SIP (?:request|response) \((\d+) bytes\) (?:from|to) (UDP|TCP|TLS|WSS?|SCTP):(\S+?) --->\s*$/;
const SIPP_SEPARATOR = /^-{20,}(?: \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\S*)?\s*$/;
const SIPP_DIRECTION = /^(UDP|TCP|TLS|SCTP|WSS?) message (sent|received) (?:\(\d+ bytes\)|\[\d+\] bytes) ?:\s*$/;
const NGREP =
  /^([UTI]) (?:(\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}\.\d{1,9}) |\+\d+\.\d+ )?(\S+) -> (\S+?)(?: \[[^\]]*\])?(?: #\d+)?\s*$/;
/** ngrep.c `-W single`: the same fields, then one space and the packet on the same line (ngrep.ts SINGLE_HEADER). */
const NGREP_SINGLE =
  /^([UTI]) (?:(\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}\.\d{1,9}) |\+\d+\.\d+ )?(\S+) -> (\S+?)(?: \[[^\]]*\])?(?: #\d+)? /;

const textOf = (line: string): string => (line.endsWith('\r') ? line.slice(0, -1) : line);

const pjsipByExpression = (line: string): unknown => {
  const text = textOf(line);
  const m = PJSIP.exec(text);
  if (!m) return null;
  const received = m[1] === 'Received';
  const prefix = text.slice(0, m.index);
  return {
    stamp: prefix.length > 0 ? findLogStamp(prefix) : undefined,
    src: received ? m[4] : 'local',
    dst: received ? 'local' : m[4],
    transport: transportNamed(m[3]),
    next: line.length + 1,
  };
};

const sippByExpression = (line: string, direction: string): unknown => {
  const text = textOf(line);
  const directionOf = (l: string, stamp: unknown, next: number): unknown => {
    const d = SIPP_DIRECTION.exec(textOf(l));
    if (!d) return null;
    const sent = d[2] === 'sent';
    return {
      stamp,
      src: sent ? 'local' : 'remote',
      dst: sent ? 'remote' : 'local',
      transport: transportNamed(d[1]),
      next,
    };
  };
  if (line[0] !== '-') {
    // isHeader's byte pre-test, then the expression
    const sp = line[3] === ' ' ? 3 : line[4] === ' ' ? 4 : -1;
    return sp > 0 && line[sp + 1] === 'm' ? directionOf(line, undefined, line.length + 1) : null;
  }
  if (line[19] !== '-' || !SIPP_SEPARATOR.test(text)) return null;
  const stamp = localStamp(findDateTime(text));
  return directionOf(direction, stamp, line.length + direction.length + 2) ?? { kind: 'skip', next: line.length + 1 };
};

const ngrepByExpression = (line: string): unknown => {
  if (line[1] !== ' ') return null;
  const m = NGREP.exec(textOf(line)) ?? NGREP_SINGLE.exec(line.slice(0, 300));
  if (!m) return null;
  const withPort = (kind: string, endpoint: string): string => {
    if (kind === 'I' || endpoint.indexOf(':') === endpoint.lastIndexOf(':')) return endpoint;
    const colon = endpoint.lastIndexOf(':');
    return `[${endpoint.slice(0, colon)}]${endpoint.slice(colon)}`;
  };
  const kind = m[1] ?? 'U';
  return {
    stamp: m[2] ? localStamp(findDateTime(m[2])) : undefined,
    src: withPort(kind, m[3] ?? ''),
    dst: withPort(kind, m[4] ?? ''),
  };
};

/** The ngrep fields the header gives (the extent of the block is found the same way as before). */
const ngrepMatched = (line: string): unknown => {
  const buf = Buffer.from(`${line}\nSIP/2.0 200 OK\n\n`, 'latin1');
  // a context of its own per line, as per scan: ngrep's reader remembers TCP segments per scan (a repeat is a resend)
  const m = ngrepReader.match(buf, 0, line.length, buf.length, { ...FINAL });
  if (m === null || m === NEED_MORE) return m;
  return m.kind === 'datagram' || m.kind === 'stream' ? { stamp: m.meta.stamp, src: m.meta.src, dst: m.meta.dst } : m;
};

describe('header lines read from bytes', () => {
  const lines = corpusTextLines();

  it('read pjsip headers as their expression does, prefix time included', () => {
    // Prepare
    const headers = [
      ...lines.filter((l) => l.includes('<--- ')),
      '[2026-11-24 13:07:19.928] <--- Received SIP request (485 bytes) from UDP:10.1.14.43:54323 --->',
      '[2026-11-24T13:07:19,9] VERBOSE[12] res_pjsip_logger.c: <--- Transmitting SIP response (4 bytes) to WSS:[2001:db8::1]:443 --->\r',
      '2026-11-24 13:07:19.928+01:00 <--- Received SIP request (1 bytes) from TLS:h:1 ---> \t',
      '[Nov 24 13:39:27] <--- <--- Received SIP response (9 bytes) from SCTP:a:1 --->',
    ];
    const sources = [...headers.slice(0, 40), ...headers.slice(-4)];
    const cases = [...headers, ...sources.flatMap((h, i) => mutated(h, 150, 1000 + i))];

    // Act
    const differing = cases.filter(
      (l) => JSON.stringify(matched(pjsipReader, l)) !== JSON.stringify(pjsipByExpression(l)),
    );
    const taken = cases.filter((l) => pjsipByExpression(l) !== null).length;

    // Assess: both verdicts are well represented, and the bytes give the expression's every time
    expect([cases.length > 6000, taken > 2000, cases.length - taken > 1000]).toEqual([true, true, true]);
    expect(differing).toEqual([]);
  });

  it('read SIPp separators and direction lines as their expressions and findDateTime do', () => {
    // Prepare
    const separators = [
      ...lines.filter((l) => l.startsWith('----------')),
      '----------------------------------------------- 2026-11-24 13:02:24.977705',
      '-------------------- 2026-02-30 25:61:99,1234567891',
      '-------------------- \r',
    ];
    const directions = [
      ...new Set(lines.filter((l) => / message (sent|received) /.test(l))),
      'UDP message sent (774 bytes):',
      'WSS message received [357] bytes :',
      'SCTP message sent (1 bytes):\r',
    ];
    const cases: [string, string][] = [];
    for (const [i, s] of separators.entries()) {
      const d = directions[i % directions.length] ?? '';
      cases.push([s, d]);
      for (const m of mutated(s, 60, 2000 + i)) cases.push([m, d]);
      for (const m of mutated(d, 60, 3000 + i)) cases.push([s, m], [m, '']);
    }

    // Act
    const differing = cases.filter(
      ([s, d]) => JSON.stringify(matched(sippReader, s, `${d}\n`)) !== JSON.stringify(sippByExpression(s, d)),
    );

    const taken = cases.filter(([s, d]) => {
      const r = sippByExpression(s, d);
      return r !== null && !(typeof r === 'object' && 'kind' in r);
    }).length;

    // Assess
    expect([cases.length > 1000, taken > 300, cases.length - taken > 300]).toEqual([true, true, true]);
    expect(differing).toEqual([]);
  });

  it('read ngrep packet headers as their expression does', () => {
    // Prepare
    const headers = [
      ...lines.filter((l) => /^[UTI] /.test(l)),
      'U 10.1.3.57:18179 -> 10.0.0.10:5060 #1',
      'T 2001:db8::1:5060 -> 2001:db8::2:5061 [AP] #12',
      'U 2026/11/24 13:00:00.123456 10.0.0.1:5060 -> 10.0.0.2:5060',
      'I +0.000123 10.0.0.1 -> 10.0.0.2 #3\r',
    ];
    const sources = [...headers.slice(0, 60), ...headers.slice(-4)];
    const cases = [...headers, ...sources.flatMap((h, i) => mutated(h, 100, 4000 + i))];

    // Act
    const differing = cases.filter((l) => JSON.stringify(ngrepMatched(l)) !== JSON.stringify(ngrepByExpression(l)));
    const taken = cases.filter((l) => ngrepByExpression(l) !== null).length;

    // Assess
    expect([cases.length > 6000, taken > 2000, cases.length - taken > 1000]).toEqual([true, true, true]);
    expect(differing).toEqual([]);
  });

  it('take a logger prefix time from bytes exactly as findLogStamp takes it from the text', () => {
    // Prepare
    const prefixes = [
      '[2026-11-24 13:39:27.271] VERBOSE[1234] res_pjsip_logger.c: ',
      '2026-11-24T13:39:27,5Z ',
      '[2026-11-24 13:39:27.123456789123] ',
      '[2026-11-24 13:39:27-0130] ',
      '[Nov 24 13:39:27] ',
      'at [2026-11-24 13:39:27.271] ',
    ];
    const cases = [...prefixes, ...prefixes.flatMap((p, i) => mutated(p, 300, 5000 + i))];

    // Act
    const differing = cases.filter((p) => {
      const buf = Buffer.from(`x${p}y`, 'latin1');
      return JSON.stringify(findLogStampAt(buf, 1, 1 + p.length)) !== JSON.stringify(findLogStamp(p));
    });
    const kinds = new Set(cases.map((p) => findLogStamp(p)?.kind ?? 'none'));

    // Assess
    expect([...kinds].sort()).toEqual(['local', 'no-year', 'none', 'utc']);
    expect(differing).toEqual([]);
  });

  it('read numbers and transport names from bytes as Number and transportNamed read the text', () => {
    // Prepare
    const numbers = ['1795525508.214526', '5.', '.5', '007', '', ' 1', '1e3', '12345678901234567', '0x10', '1.2.3'];
    const names = ['udp', 'UDP', 'Tcp', 'tls', 'sctp', 'ws', 'WSS', 'Wß', 'wß', 'ß', 'ÿ', '', 'UDP ', 'u'];
    const at = (s: string): [Buffer, number, number] => [Buffer.from(`<${s}>`, 'latin1'), 1, 1 + s.length];

    // Act
    const decimals = numbers.map((s) => decimalAt(...at(s)));
    const transports = names.map((s) => transportAt(...at(s)));

    // Assess
    expect(decimals).toEqual(numbers.map(Number));
    expect(transports).toEqual(names.map(transportNamed));
  });
});

describe('decimalAt', () => {
  it('reads every plain decimal of 1 to 20 digits, the point anywhere, exactly as Number reads its text', () => {
    // Prepare: sipdump times have 16 digits (epoch seconds and microseconds), past the 15 every double holds
    const random = seededRandom(20261204);
    const texts: string[] = ['9007199254740991', '9007199254740992', '9007199254740993', '900719925474099.3'];
    for (let i = 0; i < 20_000; i++) {
      const digits = 1 + Math.floor(random() * 20);
      let text = '';
      for (let d = 0; d < digits; d++) text += String(Math.floor(random() * 10));
      const point = Math.floor(random() * (digits + 2));
      texts.push(point === 0 || point > digits ? text : `${text.slice(0, point)}.${text.slice(point)}`);
    }
    const at = (s: string): [Buffer, number, number] => [Buffer.from(`<${s}>`, 'latin1'), 1, 1 + s.length];

    // Act
    const differing = texts.filter((s) => !Object.is(decimalAt(...at(s)), Number(s)));

    // Assess
    expect(differing).toEqual([]);
  });
});

describe('lineStarts', () => {
  it('lists the first two bytes of every line a reader takes as its header, in the corpus and in mutations of it', () => {
    // Prepare: the corpus's header lines (the ones some reader takes) and their mutations, plus every other line
    const lines = corpusTextLines();
    const takes = (r: TextFormatReader, l: string): boolean => {
      const buf = Buffer.from(`${l}\n\n`, 'latin1');
      const m = r.match(buf, 0, l.length, buf.length, FINAL);
      return r.isHeader(buf, 0, l.length) || (m !== null && m !== NEED_MORE);
    };
    const readers = TEXT_FORMAT_READERS.filter((r) => r.marker === undefined);
    const headers = lines.filter((l) => readers.some((r) => takes(r, l)));
    const cases = [...lines, ...headers.slice(0, 400).flatMap((h, i) => mutated(h, 10, 6000 + i))];

    // Act: a line some reader takes, whose start its lineStarts does not list
    const missed: string[] = [];
    for (const r of readers) {
      const starts = r.lineStarts ?? [...r.firstBytes];
      for (const l of cases) {
        const listed = starts.some((s) => l.startsWith(s));
        if (!listed && takes(r, l)) missed.push(`${r.format}: ${JSON.stringify(l)}`);
      }
    }

    // Assess
    expect(headers.length).toBeGreaterThan(100);
    expect(missed).toEqual([]);
  });
});

describe('InternTable', () => {
  it('answers only the string stored for the very same bytes, however many keys share a slot', () => {
    // Prepare: two slots for 200 keys, so nearly every find meets another key's entry
    const table = new InternTable(2);
    const buf = Buffer.from('10.0.0.1:5060 10.0.0.15:060 10.0.0.1:50 60', 'latin1');
    const keys: [number, number, number, number][] = [];
    for (let a = 0; a < 14; a++) for (let b = a; b < Math.min(a + 14, buf.length); b++) keys.push([a, b, 0, 0]);
    keys.push([0, 8, 9, 13], [0, 8, 28, 30], [0, 9, 9, 13]);

    // Act
    const wrong: string[] = [];
    for (let round = 0; round < 3; round++) {
      for (const [a, b, c, d] of keys) {
        const text = `${buf.toString('latin1', a, b)}|${buf.toString('latin1', c, d)}`;
        const got = table.find(buf, a, b, c, d);
        if (got !== undefined && got !== text) wrong.push(`${text} -> ${got}`);
        if (got === undefined) table.store(buf, a, b, c, d, text);
      }
    }

    // Assess
    expect(wrong).toEqual([]);
    expect(table.find(buf, 0, 8, 9, 13) ?? table.store(buf, 0, 8, 9, 13, 'x')).toMatch(/^(10\.0\.0\.1\|5060|x)$/);
  });
  it('tells apart two keys of the same lengths whose hashes are equal, short and long', () => {
    // Prepare: a pair of addresses and a pair of keys longer than the bytes a slot holds, each pair of one length and
    // one hash (a birthday search over the table's own hash, so the test holds whatever the hash is)
    const collision = (make: (digits: () => string) => string): [string, string] => {
      const random = seededRandom(20261205);
      const digits = (): string => String(Math.floor(random() * 1000)).padStart(3, '0');
      const seen = new Map<number, string>();
      for (let i = 0; i < 1_000_000; i++) {
        const key = make(digits);
        const h = internHash(Buffer.from(`${key}5060`, 'latin1'), 0, key.length, key.length, key.length + 4);
        const other = seen.get(h);
        if (other !== undefined && other !== key) return [other, key];
        seen.set(h, key);
      }
      throw new Error('no two keys share a hash');
    };
    const long = '2001:db8:0:0:0:0:0:1:5060;'.repeat(2);
    const pairs = [
      collision((d) => `${d()}.${d()}.${d()}.${d()}`),
      collision((d) => `${d()}${d()}${long}${d()}${d()}`),
    ];
    const table = new InternTable(1024);

    // Act: each key of a pair stored, then both asked for, in turn
    const answers: (string | undefined)[][] = [];
    for (const [x = '', y = ''] of pairs) {
      expect(x.length).toBe(y.length);
      const buf = Buffer.from(`${x}|${y}|5060`, 'latin1');
      const keyOf = (first: number): [number, number, number, number] => [
        first,
        first + x.length,
        buf.length - 4,
        buf.length,
      ];
      const [a1, b1, c1, d1] = keyOf(0);
      const [a2, b2, c2, d2] = keyOf(x.length + 1);
      table.find(buf, a1, b1, c1, d1);
      table.store(buf, a1, b1, c1, d1, 'first');
      answers.push([table.find(buf, a2, b2, c2, d2), table.find(buf, a1, b1, c1, d1)]);
      table.find(buf, a2, b2, c2, d2);
      table.store(buf, a2, b2, c2, d2, 'second');
      answers.push([table.find(buf, a1, b1, c1, d1), table.find(buf, a2, b2, c2, d2)]);
    }

    // Assess: the other key of a pair is never answered with this one's string
    expect(answers).toEqual([
      [undefined, 'first'],
      [undefined, 'second'],
      [undefined, 'first'],
      [undefined, 'second'],
    ]);
  });

  it('keeps keys longer than the bytes a slot holds apart as exactly, and finds each again', () => {
    // Prepare: keys of 60 to 70 bytes (across the 64 a slot keeps as bytes), some differing only in their last byte,
    // split into two ranges at different places, in four slots
    const table = new InternTable(4);
    const text = `${'2001:db8:0:0:0:0:0:1:5060;'.repeat(3)}xyz`;
    const buf = Buffer.from(text, 'latin1');
    const keys: [number, number, number, number][] = [];
    for (let n = 60; n <= 70; n++)
      for (const split of [0, 10, n]) keys.push([0, split, split, n], [1, 1 + split, 1 + split, 1 + n]);

    // Act: store each, then find each again right after storing it, then all of them once more
    const wrong: string[] = [];
    const again: string[] = [];
    const label = ([a, b, c, d]: [number, number, number, number]): string => `${a}-${b}|${c}-${d}`;
    for (const k of keys) {
      const [a, b, c, d] = k;
      const got = table.find(buf, a, b, c, d);
      if (got !== undefined && got !== label(k)) wrong.push(`${label(k)} -> ${got}`);
      if (got === undefined) table.store(buf, a, b, c, d, label(k));
      if (table.find(buf, a, b, c, d) !== label(k)) again.push(label(k));
    }
    for (const k of keys) {
      const got = table.find(buf, k[0], k[1], k[2], k[3]);
      if (got !== undefined && got !== label(k)) wrong.push(`${label(k)} -> ${got}`);
    }

    // Assess
    expect(wrong).toEqual([]);
    expect(again).toEqual([]);
  });
});
