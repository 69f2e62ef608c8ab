import { describe, expect, it } from 'vitest';
import { HEADER, HEADER_NAMES, type HeaderId, headerAt, headerColon } from '../../../lambda/engine/sip-headers.js';
import { corpusTextLines, mutations, seededRandom } from '../../support/line-mutations.js';

/**
 * headerAt replaces headerId in parseMessage (a switch on the first byte and the name's length, and the colon
 * handed back instead of searched for again). It must give headerId's verdict on every line, and the colon
 * parseMessage found with buf.indexOf(':', lineStart): checked on every line of the shared corpus's text logs
 * and on seeded mutations of the header lines that name a header parseMessage reads.
 */

/**
 * The reference: the walk over HEADER_NAMES that parseMessage used before headerAt (kept here as the oracle). The
 * name starts with a letter, runs to a colon or white space, may have white space before its colon, and matches a
 * name with each byte folded as `byte | 0x20`.
 */
const headerId = (buf: Buffer, ls: number, ce: number): HeaderId => {
  const first = buf[ls] ?? 0;
  const letter = (first >= 0x41 && first <= 0x5a) || (first >= 0x61 && first <= 0x7a);
  if (!letter || !HEADER_NAMES.some(([n]) => n.charCodeAt(0) === (first | 0x20))) return HEADER.other;
  let ne = ls;
  while (ne < ce && buf[ne] !== 0x3a && buf[ne] !== 0x20 && buf[ne] !== 0x09) ne++;
  if (ne >= ce) return HEADER.other;
  let k = ne;
  while (k < ce && (buf[k] === 0x20 || buf[k] === 0x09)) k++;
  if (buf[k] !== 0x3a) return HEADER.other;
  for (const [name, id] of HEADER_NAMES) {
    if (name.length !== ne - ls) continue;
    let same = true;
    for (let i = 0; i < name.length && same; i++) same = ((buf[ls + i] ?? 0) | 0x20) === name.charCodeAt(i);
    if (same) return id;
  }
  return HEADER.other;
};

/** Bytes a mutation puts in: those the name's end hinges on, bytes that fold onto a name's letters, latin1. */
const MUTATION_BYTES = ' \t\r:-\x0d\x03\x09\x0c\x16\x04IiLlVvCcDdAaEeSsQqTt\xa0\xc9ÿ';

/** headerAt's verdict and colon against headerId's and indexOf's, on `line` followed by `after` in one buffer. */
const disagreement = (line: string, after: string): string | undefined => {
  const buf = Buffer.from(line + after, 'latin1');
  // the content end as parseMessage gives it: without a CR before the LF
  const ce = line.endsWith('\r') ? line.length - 1 : line.length;
  const want = headerId(buf, 0, ce);
  const got = headerAt(buf, 0, ce);
  if (got !== want) return `id ${got} != ${want}`;
  if (got !== HEADER.other && headerColon !== buf.indexOf(0x3a, 0)) return `colon ${headerColon}`;
  return undefined;
};

describe('headerAt', () => {
  it('gives headerId verdict and the first colon on every corpus line', () => {
    // Prepare
    const lines = corpusTextLines();
    // Act
    const bad = lines.filter((l) => disagreement(l, '\n') !== undefined);
    const recognised = lines.filter((l) => headerId(Buffer.from(l, 'latin1'), 0, l.length) !== HEADER.other);
    // Assess
    expect(bad).toEqual([]);
    expect(lines.length).toBeGreaterThan(10_000);
    expect(recognised.length).toBeGreaterThan(1_000);
  });

  it('gives headerId verdict on seeded mutations of the header lines it recognises', () => {
    // Prepare: each recognised name, long and compact, in the shapes the corpus has, and mutations of them
    const next = seededRandom(17);
    const seeds = [
      'Call-ID: a84b4c76e66710@pc33.atlanta.com',
      'i: a84b4c76e66710',
      'CSeq: 314159 INVITE',
      'cseq :1 ACK',
      'Content-Length: 142',
      'l: 0',
      'Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds',
      'v:SIP/2.0/TCP h',
      'Date: Sat, 13 Nov 2010 23:29:00 GMT',
      'Contact: <sip:alice@pc33.atlanta.com>',
      'Content-Type: application/sdp',
      'Content-Length\t : 5\r',
    ];
    const cases = seeds.flatMap((s) => [s, ...mutations(s, 2_000, next, MUTATION_BYTES, 18)]);
    // Act: the line alone, then with a colon right after it (a name that runs to the content end)
    const bad = cases.flatMap((l) =>
      [disagreement(l, '\n'), disagreement(l, ':x\n')].filter((d) => d !== undefined).map((d) => `${l}: ${d}`),
    );
    // Assess
    expect(bad).toEqual([]);
    expect(cases.length).toBe(12 * 2_001);
  });

  it('reads each name in any case, compact or long, with white space before the colon', () => {
    // Prepare
    const lines: [string, number][] = [
      ['CALL-ID: x', HEADER.callId],
      ['I:x', HEADER.callId],
      ['cSeQ \t: 1 INVITE', HEADER.cseq],
      ['CONTENT-LENGTH: 0', HEADER.contentLength],
      ['L :0', HEADER.contentLength],
      ['VIA: SIP/2.0/UDP h', HEADER.via],
      ['V: SIP/2.0/UDP h', HEADER.via],
      ['DATE: x', HEADER.date],
      ['Vias: x', HEADER.other],
      ['Content-Lengths: 1', HEADER.other],
      ['Call-ID x', HEADER.other],
      ['Dates: x', HEADER.other],
    ];
    // Act
    const got = lines.map(([l]) => headerAt(Buffer.from(l, 'latin1'), 0, l.length));
    // Assess
    expect(got).toEqual(lines.map(([, id]) => id));
  });
});
