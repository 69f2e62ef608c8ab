import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { type ScanResult, scan } from '../../lambda/engine/index.js';
import { chunked, readFixture } from '../support/collect.js';
import { CORPUS_DIR, expectedFor, normaliseByMethod } from '../support/corpus.js';

/**
 * The corpus's captures printed by the real ngrep in its other dump modes (`-W normal`, ngrep's default, `-W single`
 * and `-W none`: CR and LF printed as '.'), in hex (`-x`), and without `-q` (a '#' line per packet, "exit" last),
 * read as tshark reads the captures (their expected files). ngrep is a
 * Debian package; .ci/run installs it.
 */
/** ngrep's options beside -I: the dump modes quiet, and the default (-W normal), byline and -x with progress marks. */
const MODES: readonly (readonly string[])[] = [
  ['-W', 'normal', '-q'],
  ['-W', 'single', '-q'],
  ['-W', 'none', '-q'],
  ['-x', '-q'],
  [],
  ['-W', 'byline'],
  ['-x'],
];
/** Cuts every 65,537 bytes: lines and packets straddle chunks. */
const ODD_CUTS = (length: number): number[] =>
  Array.from({ length: Math.floor((length - 1) / 65_537) }, (_, i) => (i + 1) * 65_537);
const CAPTURES = ['mixed.pcap', 'sipp.pcapng', 'large.pcap.gz'] as const;
/** The 100k-message capture in the three layouts that differ most (the suite's time is budgeted). */
const LARGE_MODES: readonly (readonly string[])[] = [[], ['-x'], ['-W', 'single', '-q']];

const work = mkdtempSync(join(tmpdir(), 'sip-metrics-ngrep-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The capture as ngrep reads it (it takes no gzip). */
const capturePath = (capture: string): string => {
  const path = join(CORPUS_DIR, capture);
  if (!capture.endsWith('.gz')) return path;
  const plain = join(work, capture.slice(0, -3));
  writeFileSync(plain, gunzipSync(readFileSync(path)));
  return plain;
};

/** `ngrep -I capture ...options` (every packet: no match expression, no filter). */
const ngrep = (capture: string, options: readonly string[]): Buffer => {
  try {
    return execFileSync('ngrep', ['-I', capture, ...options], {
      maxBuffer: 1 << 30,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch (e) {
    throw new Error(`ngrep failed (apt-get install -y ngrep; .ci/run installs it): ${String(e)}`);
  }
};

describe('ngrep in its dump modes, -x, and without -q, of the shared captures', () => {
  for (const capture of CAPTURES) {
    it(`counts ${capture} in every mode exactly as tshark counts the capture`, async () => {
      // Prepare
      const expected = expectedFor(capture);
      const path = capturePath(capture);

      for (const options of capture === 'large.pcap.gz' ? LARGE_MODES : MODES) {
        const mode = options.join(' ') || '(defaults)';
        // Act: the text in odd chunks, as a file or S3 body arrives
        const text = ngrep(path, options);
        const r = await scan(chunked(text, ODD_CUTS(text.length)));

        // Assess
        expect({ mode, formats: r.formats }).toEqual({ mode, formats: ['ngrep'] });
        expect({ mode, byClass: r.byClass }).toEqual({ mode, byClass: expected.responses_by_class });
        expect({ mode, byCode: r.byCode }).toEqual({ mode, byCode: expected.responses_by_code });
        expect(normaliseByMethod(r.byMethod)).toEqual(normaliseByMethod(expected.responses_by_method));
        expect({ mode, responses: r.responses }).toEqual({ mode, responses: expected.responses });
        if (expected.retransmissions) {
          expect({ mode, retransmissions: r.retransmissions }).toEqual({
            mode,
            retransmissions: {
              requests: expected.retransmissions.requests,
              responses: expected.retransmissions.responses,
            },
          });
        }
        expect({ mode, anomalies: r.anomalies }).toEqual({ mode, anomalies: {} });
      }
    }, 180_000); // large.pcap.gz: three ngrep runs of 100k messages and their scans, ~10 s here
  }
});

/** The text with every empty line taken out, as `grep -v '^$'` or `sed '/^$/d'` leave a log. */
const withoutBlankLines = (text: Buffer): Buffer => Buffer.from(text.toString('latin1').replace(/^\n/gm, ''), 'latin1');

/** Everything a scan found but the input's size and its unread bytes (the blank lines taken out were ngrep's). */
const found = (r: ScanResult): Omit<ScanResult, 'bytes' | 'unrecognizedBytes'> => {
  const { bytes: _bytes, unrecognizedBytes: _unread, ...rest } = r;
  return rest;
};

describe('ngrep with its blank lines taken out', () => {
  /** The modes whose packets ngrep separates by blank lines alone (with -q) or by blank and '#' lines (without). */
  const BLANKLESS_MODES: readonly (readonly string[])[] = [
    ['-W', 'byline', '-q'],
    ['-W', 'byline'],
    ['-W', 'byline', '-q', '-t'],
    ['-W', 'normal', '-q'],
    ['-x', '-q'],
  ];

  /** The corpus captures, and two whose TCP segments end right after a literal '.' (test/fixtures/ngrep-cut). */
  const CUT_AFTER_DOT: Readonly<Record<string, number>> = {
    'cut-after-dot-host.pcap': 6,
    'cut-after-dot-version.pcap': 3,
  };
  const pathOf = (capture: string): string =>
    capture in CUT_AFTER_DOT
      ? fileURLToPath(new URL(`../fixtures/ngrep-cut/${capture}`, import.meta.url))
      : capturePath(capture);
  const responsesOf = (capture: string): number => CUT_AFTER_DOT[capture] ?? expectedFor(capture).responses;

  it.each(['mixed.pcap', 'sipp.pcapng', ...Object.keys(CUT_AFTER_DOT)])(
    'reads %s printed by ngrep as with its blank lines',
    async (capture) => {
      for (const options of BLANKLESS_MODES) {
        // Prepare
        const mode = options.join(' ');
        const text = ngrep(pathOf(capture), options);
        const blankless = withoutBlankLines(text);
        expect(blankless.length).toBeLessThan(text.length);

        // Act
        const whole = await scan(chunked(text, []));
        const cut = await scan(chunked(blankless, ODD_CUTS(blankless.length)));

        // Assess: everything the same, per minute, per peer and KPIs too; before, the first packet's block ran on to
        // ngrep's 512 KiB limit or the end of the file and 3 of mixed.pcap's 1,834 responses were counted
        expect({ mode, responses: cut.responses }).toEqual({ mode, responses: responsesOf(capture) });
        expect({ mode, responses: whole.responses }).toEqual({ mode, responses: responsesOf(capture) });
        expect({ mode, found: found(cut) }).toEqual({ mode, found: found(whole) });
      }
    },
    120_000,
  );

  it.each([
    { name: 'the corpus ngrep log', text: (): Buffer => readFileSync(join(CORPUS_DIR, 'mixed.ngrep.txt')) },
    { name: 'its large one', text: (): Buffer => gunzipSync(readFileSync(join(CORPUS_DIR, 'large.ngrep.txt.gz'))) },
    {
      name: "sipgrep's coloured text",
      text: (): Buffer => gunzipSync(readFixture('sipgrep/proxied-kamailio.sipgrep.txt.gz')),
    },
    { name: "the Kamailio run's", text: (): Buffer => readFixture('kamailio/kamailio.ngrep.txt') },
  ])(
    'reads $name as with its blank lines',
    async ({ text }) => {
      // Prepare
      const original = text();
      const blankless = withoutBlankLines(original);

      // Act
      const whole = await scan(chunked(original, []));
      const cut = await scan(chunked(blankless, ODD_CUTS(blankless.length)));

      // Assess
      expect(cut.responses).toBeGreaterThan(0);
      expect(found(cut)).toEqual(found(whole));
    },
    60_000,
  );
});
