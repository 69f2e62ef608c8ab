/**
 * Seeded line mutations for the tests that check a byte-level reader against the code or expression it replaced
 * (header-bytes.test.ts, header-at.test.ts, forward-search.test.ts): the corpus's text-log lines and mutations of
 * them, from a fixed seed so that a failure replays.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { CORPUS_DIR } from './corpus.js';

/** A deterministic generator (mulberry32), so a failure replays. */
export const seededRandom = (seed: number): (() => number) => {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/**
 * `count` mutations of `line`, each of 1 to 3 edits (a byte of `bytes` put in place of one, a byte of `bytes` put in,
 * a byte dropped, a byte doubled) at offsets below `within` (the whole line by default).
 */
export const mutations = (
  line: string,
  count: number,
  next: () => number,
  bytes: string,
  within = Number.POSITIVE_INFINITY,
): string[] => {
  const out: string[] = [];
  for (let n = 0; n < count; n++) {
    let s = line;
    const edits = 1 + Math.floor(next() * 3);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(next() * Math.min(s.length + 1, within));
      const b = bytes[Math.floor(next() * bytes.length)] ?? ' ';
      const op = Math.floor(next() * 4);
      if (op === 0) s = s.slice(0, at) + b + s.slice(at + 1);
      else if (op === 1) s = s.slice(0, at) + b + s.slice(at);
      else if (op === 2) s = s.slice(0, at) + s.slice(at + 1);
      else s = s.slice(0, at) + s.slice(at, at + 1) + s.slice(at);
    }
    out.push(s);
  }
  return out;
};

/** Every line of the corpus's text logs (latin1). */
export const corpusTextLines = (): string[] => {
  const files = [
    'mixed.ngrep.txt',
    'mixed.pjsip-style.log',
    'mixed.kamailio-sipdump.data',
    'mixed.kamailio-proxy.log',
    'sipp-uac-invite.messages.log',
    'sipp-uac-cancel-tcp.messages.log',
  ];
  const lines: string[] = [];
  for (const f of files) lines.push(...readFileSync(`${CORPUS_DIR}${f}`).toString('latin1').split('\n'));
  lines.push(
    ...gunzipSync(readFileSync(`${CORPUS_DIR}mixed.tcpdump-A.txt.gz`))
      .toString('latin1')
      .split('\n'),
  );
  return lines;
};
