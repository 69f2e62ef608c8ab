import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { ScanResult } from '../../../lambda/engine/tally.js';
import { dropUtf8Boms, utf16OrderOf } from '../../../lambda/engine/text-encoding.js';
import { chunked, readFixture, replayAtRandomCuts, scanWhole } from '../../support/collect.js';
import { CORPUS_DIR, expectedFor } from '../../support/corpus.js';

/** What the real converter makes of a UTF-8 log (glibc's iconv; `UTF-16` writes a byte order mark). */
const iconv = (text: Buffer, to: 'UTF-16' | 'UTF-16LE' | 'UTF-16BE'): Buffer =>
  execFileSync('iconv', ['-f', 'UTF-8', '-t', to], { input: text, maxBuffer: 64 * 1024 * 1024 });

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** The counts a re-encoded log must keep. */
const counts = (r: ScanResult) => ({
  responses: r.responses,
  requests: r.requests,
  byCode: r.byCode,
  byMethod: r.byMethod,
  retransmissions: r.retransmissions,
  kpis: r.kpis,
  series: r.series.length,
});

const TEXT_LOGS = [
  'mixed.ngrep.txt',
  'mixed.pjsip-style.log',
  'mixed.kamailio-sipdump.data',
  'mixed.kamailio-proxy.log',
  'sipp-uac-cancel-tcp.messages.log',
] as const;

const corpusText = (name: string): Buffer => readFileSync(`${CORPUS_DIR}${name}`);

describe('logs saved as UTF-16 (Windows PowerShell, Notepad, iconv)', () => {
  it.each(TEXT_LOGS)('counts %s in UTF-16 (with a byte order mark, LE without, BE) as the UTF-8 log', async (name) => {
    // Prepare: before, none of them counted a response (no line of a two-byte encoding reads as SIP)
    const utf8 = corpusText(name);
    const want = counts(await scanWhole(utf8));

    for (const to of ['UTF-16', 'UTF-16LE', 'UTF-16BE'] as const) {
      // Act
      const got = await scanWhole(iconv(utf8, to));

      // Assess
      expect(got.formats[0]).toBe('utf-16');
      expect(counts(got)).toEqual(want);
    }
    expect(want.responses).toBeGreaterThan(0);
  });

  it('counts the corpus tcpdump -A text in UTF-16, gzipped, as tshark counts its capture', async () => {
    // Prepare
    const utf8 = gunzipSync(readFileSync(`${CORPUS_DIR}mixed.tcpdump-A.txt.gz`));
    const expected = expectedFor('mixed.tcpdump-A.txt.gz');

    // Act
    const got = await scanWhole(gzipSync(iconv(utf8, 'UTF-16')));

    // Assess
    expect(got.formats.slice(0, 2)).toEqual(['gzip', 'utf-16']);
    expect(got.byCode).toEqual(expected.responses_by_code);
  });

  it('counts UTF-16 logs joined with cat, each with its byte order mark, as their sum', async () => {
    // Prepare: the second file's mark decodes to UTF-8's at a line start (the review's case: its first entry lost)
    const utf8 = gunzipSync(readFileSync(`${CORPUS_DIR}mixed.tcpdump-A.txt.gz`));
    const cut = utf8.indexOf('\n', utf8.length >> 1) + 1;
    const [a, b] = [utf8.subarray(0, cut), utf8.subarray(cut)];

    // Act
    const joined = await scanWhole(Buffer.concat([iconv(a, 'UTF-16'), iconv(b, 'UTF-16')]));

    // Assess
    expect(counts(joined)).toEqual(counts(await scanWhole(utf8)));
  });

  it('gives the same result however a UTF-16 log is chunked (code units and CRLFs cut between chunks)', async () => {
    // Prepare
    const text = iconv(readFixture('text/ngrep-W-byline-noquiet-crafted.txt'), 'UTF-16');

    // Act
    const { differing } = await replayAtRandomCuts(text, 6);

    // Assess
    expect(differing).toEqual([]);
  });

  it('takes no single-byte log nor a binary file for UTF-16', () => {
    // Prepare
    const random = Buffer.alloc(4096);
    let x = 7;
    for (let i = 0; i < random.length; i++) {
      x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
      random[i] = x >> 16;
    }
    // a log with a few NULs (a crash's hole) among its text
    const holed = Buffer.from(corpusText('mixed.ngrep.txt').subarray(0, 4096));
    holed.fill(0, 100, 140);

    // Act / Assess
    for (const name of TEXT_LOGS) expect(utf16OrderOf(corpusText(name).subarray(0, 65_536))).toBeUndefined();
    expect(utf16OrderOf(random)).toBeUndefined();
    expect(utf16OrderOf(holed)).toBeUndefined();
    expect(utf16OrderOf(Buffer.alloc(4096))).toBeUndefined();
  });
});

describe('logs saved as UTF-8 with a byte order mark', () => {
  it.each(TEXT_LOGS)('counts %s with a byte order mark as without', async (name) => {
    // Prepare: before, the mark made the first line no log line (a tcpdump -A log lost its first response)
    const utf8 = corpusText(name);

    // Act
    const got = await scanWhole(Buffer.concat([BOM, utf8]));

    // Assess
    expect(counts(got)).toEqual(counts(await scanWhole(utf8)));
  });

  it("counts a first tcpdump -A entry and logs joined with cat, each with its mark, as the logs' sum", async () => {
    // Prepare: the corpus's tcpdump -A text cut at a line end, each piece saved with a mark, then joined with cat
    const utf8 = gunzipSync(readFileSync(`${CORPUS_DIR}mixed.tcpdump-A.txt.gz`));
    const cut = utf8.indexOf('\n', utf8.length >> 1);
    const first = utf8.subarray(0, cut + 1);
    const a = await scanWhole(first);
    const whole = await scanWhole(utf8);

    // Act
    const withMark = await scanWhole(Buffer.concat([BOM, first]));
    const joined = await scanWhole(Buffer.concat([BOM, first, BOM, utf8.subarray(cut + 1)]));

    // Assess
    expect(counts(withMark)).toEqual(counts(a));
    expect(counts(joined)).toEqual(counts(whole));
  });

  it('takes a mark out at a line start only, whatever the chunks', async () => {
    // Prepare: marks at the start, after LFs (one cut between chunks anywhere), inside a line (a character: kept)
    const text = Buffer.concat([
      BOM,
      Buffer.from('one\n'),
      BOM,
      Buffer.from('two\nthree'),
      BOM,
      Buffer.from('\n'),
      BOM,
      BOM,
      Buffer.from('\n\xef\xbb\n', 'latin1'),
    ]);
    const want = Buffer.concat([
      Buffer.from('one\ntwo\nthree'),
      BOM,
      Buffer.from('\n'),
      BOM,
      Buffer.from('\n\xef\xbb\n', 'latin1'),
    ]);

    for (let a = 0; a <= text.length; a++) {
      for (let b = a; b <= text.length; b++) {
        // Act
        const parts: Buffer[] = [];
        for await (const c of dropUtf8Boms(chunked(text, [a, b]))) parts.push(c);

        // Assess
        expect(Buffer.concat(parts).toString('latin1')).toBe(want.toString('latin1'));
      }
    }
  });
});
