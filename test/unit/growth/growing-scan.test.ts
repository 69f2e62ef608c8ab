import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { scan } from '../../../lambda/engine/index.js';
import type { ScanResult } from '../../../lambda/engine/tally.js';
import { WINDOW_BYTES } from '../../../lambda/engine/text-scanner.js';
import { BLOCK_BYTES } from '../../../lambda/growth/block-digests.js';
import { countGrowing, type KeyProgress, PROOF_BYTES, type VersionCount } from '../../../lambda/growth/growing-scan.js';
import { CORPUS_DIR } from '../../support/corpus.js';

const TIME_FIXTURES = new URL('../../fixtures/time/', import.meta.url);

const CHUNK = 65_521;

async function* chunksOf(b: Buffer): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < b.length; i += CHUNK) yield b.subarray(i, i + CHUNK);
}

/** Signed response counts per class, code, method and minute: what the `Responses` metrics carry. */
const responseCounts = (r: ScanResult, sign: number, into: Map<string, number>): Map<string, number> => {
  const add = (k: string, n: number): void => {
    const v = (into.get(k) ?? 0) + sign * n;
    if (v === 0) into.delete(k);
    else into.set(k, v);
  };
  for (const [c, n] of Object.entries(r.byClass)) add(`class ${c}`, n);
  for (const [c, n] of Object.entries(r.byCode)) add(`code ${c}`, n);
  for (const [m, codes] of Object.entries(r.byMethod)) for (const [c, n] of Object.entries(codes)) add(`${m} ${c}`, n);
  for (const s of r.series) {
    for (const [c, n] of Object.entries(s.byClass)) add(`${s.minute} class ${c}`, n);
    for (const [c, n] of Object.entries(s.byCode)) add(`${s.minute} code ${c}`, n);
    for (const [m, codes] of Object.entries(s.byMethod)) {
      for (const [c, n] of Object.entries(codes)) add(`${s.minute} ${m} ${c}`, n);
    }
  }
  return into;
};

/** Counts `file` uploaded as the versions ending at `cuts`, the way the handler sums what each version adds. */
const countVersions = async (file: Buffer, cuts: readonly number[]) => {
  const net = new Map<string, number>();
  const versions: VersionCount[] = [];
  let progress: KeyProgress | undefined;
  for (const cut of cuts) {
    const version = file.subarray(0, cut);
    const v = await countGrowing(async (from) => chunksOf(version.subarray(from)), version.length, progress);
    responseCounts(v.counted, 1, net);
    if (v.minus !== undefined) responseCounts(v.minus, -1, net);
    versions.push(v);
    progress = v.progress;
  }
  return { net, versions };
};

/** `steps` version ends spread over the file, each cut at an arbitrary byte (a shipper that uploads mid-line). */
const byteCuts = (size: number, steps: number, seed: number): number[] => {
  let x = seed;
  const cuts: number[] = [];
  for (let i = 1; i < steps; i++) {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    cuts.push(Math.floor((size * (i - 1 + (x % 1000) / 1000)) / steps) + 1);
  }
  return [...cuts.sort((a, b) => a - b), size];
};

const repeated = (name: string, times: number): Buffer => {
  const one = readFileSync(`${CORPUS_DIR}${name}`);
  return Buffer.concat(Array.from({ length: times }, () => one));
};

describe('countGrowing', () => {
  for (const [name, times, steps, resumes] of [
    ['mixed.pjsip-style.log', 5, 10, true],
    ['mixed.kamailio-sipdump.data', 4, 7, true],
    // ngrep without -t prints no times: its responses go to the upload minute of the version that counts them,
    // which a resume part-way could not move, so each version is read again whole and scanned twice
    ['mixed.ngrep.txt', 5, 6, false],
    ['sipp-uac-cancel-tcp.messages.log', 60, 8, true],
  ] as const) {
    it(`sums ${steps} versions of ${name} x${times}, cut mid-line, to the counts of the final file`, async () => {
      // Prepare
      const file = repeated(name, times);
      const cuts = byteCuts(file.length, steps, 7);
      const whole = responseCounts(await scan(chunksOf(file)), 1, new Map());

      // Act
      const { net, versions } = await countVersions(file, cuts);

      // Assess
      expect(Object.fromEntries(net)).toEqual(Object.fromEntries(whole));
      expect(versions.map((v) => v.mode)).toEqual(['first', ...cuts.slice(1).map(() => 'resumed')]);
      if (resumes) {
        // each version reads its new bytes plus the tail before the old end that a scan needs to restart exactly
        const extra = versions.slice(1).map((v, i) => v.bytesRead - ((cuts[i + 1] ?? 0) - (cuts[i] ?? 0)));
        expect(Math.max(...extra)).toBeLessThanOrEqual(WINDOW_BYTES + 2 * BLOCK_BYTES);
        expect(versions.at(-1)?.readFrom).toBeGreaterThan(0);
      } else {
        // read once from the start: both scans are fed from the same read
        expect(versions.slice(1).map((v) => [v.readFrom, v.bytesRead])).toEqual(cuts.slice(1).map((c) => [0, c]));
      }
    });
  }

  it('counts a copytruncated file (shorter, then new lines) as new content, in full', async () => {
    // Prepare
    const file = repeated('mixed.pjsip-style.log', 3);
    const { versions } = await countVersions(file, [file.length]);
    const rotated = file.subarray(0, 400_000);

    // Act
    const v = await countGrowing(
      async (from) => chunksOf(rotated.subarray(from)),
      rotated.length,
      versions[0]?.progress,
    );

    // Assess
    expect([v.mode, v.reason, v.minus]).toEqual(['new-content', 'not-longer', undefined]);
    expect(v.counted).toEqual(await scan(chunksOf(rotated)));
  });

  it('counts a longer file whose earlier bytes changed as new content, after reading only up to the old end first', async () => {
    // Prepare
    const file = repeated('mixed.pjsip-style.log', 3);
    const first = file.subarray(0, 3_000_000);
    const { versions } = await countVersions(first, [first.length]);
    const changed = Buffer.from(file);
    changed[2_999_000] = 0x41;

    // Act
    const v = await countGrowing(
      async (from) => chunksOf(changed.subarray(from)),
      changed.length,
      versions[0]?.progress,
    );

    // Assess
    expect([v.mode, v.reason, v.minus]).toEqual(['new-content', 'prefix-differs', undefined]);
    expect(v.counted).toEqual(await scan(chunksOf(changed)));
    // the comparison stops at the chunk that holds the old end (this small file resumes from 0), then all is read
    expect(v.bytesRead).toBe(Math.ceil(first.length / CHUNK) * CHUNK + changed.length);
  });

  it('resumes a gzip file grown by appended members in the member holding its resume offset, reading from there', async () => {
    // Prepare: gzip -c part1 > log.gz; gzip -c part2 >> log.gz; gzip -c part3 >> log.gz, each part whole log blocks
    const file = repeated('mixed.pjsip-style.log', 2);
    const blocks = file.toString('latin1').split(/(?=\[\d{4}-\d{2}-\d{2} [^\n]*<--- )/);
    const third = Math.floor(blocks.length / 3);
    const parts = [blocks.slice(0, third), blocks.slice(third, 2 * third), blocks.slice(2 * third)].map((p) =>
      gzipSync(Buffer.from(p.join(''), 'latin1')),
    );
    const gz = Buffer.concat(parts);
    const cuts = [parts[0]?.length ?? 0, (parts[0]?.length ?? 0) + (parts[1]?.length ?? 0), gz.length];
    const whole = responseCounts(await scan(chunksOf(file)), 1, new Map());

    // Act
    const { net, versions } = await countVersions(gz, cuts);

    // Assess
    expect(Object.fromEntries(net)).toEqual(Object.fromEntries(whole));
    expect(versions.map((v) => [v.mode, v.minus === undefined])).toEqual([
      ['first', true],
      ['resumed', false],
      ['resumed', false],
    ]);
    for (const [i, v] of versions.slice(1).entries()) {
      // read from the block before the member that holds the resume offset, or before the proof's MiB if earlier
      const member = versions[i]?.progress?.member;
      const oldEnd = cuts[i] ?? 0;
      const proofFrom = Math.floor(Math.max(0, oldEnd - PROOF_BYTES) / BLOCK_BYTES) * BLOCK_BYTES;
      const memberFrom = Math.floor((member?.at ?? 0) / BLOCK_BYTES) * BLOCK_BYTES;
      expect(v.bytesRead).toBe((cuts[i + 1] ?? 0) - Math.min(proofFrom, memberFrom));
    }
  });

  it('sums a gzip grown by members cut anywhere in its text (a shipper gzipping what was written since the last time)', async () => {
    // Prepare: members cut mid-line and mid-message, small ones (under the decision window) among them: a
    // response cut by a member boundary was lost when the new members were scanned as a log of their own
    for (const [name, times, steps] of [
      ['mixed.pjsip-style.log', 3, 12],
      ['mixed.kamailio-sipdump.data', 2, 30],
    ] as const) {
      const text = repeated(name, times);
      const textCuts = [0, ...byteCuts(text.length, steps, 11)];
      const members = textCuts.slice(1).map((c, i) => gzipSync(text.subarray(textCuts[i], c)));
      const gz = Buffer.concat(members);
      const cuts = members.map((_, i) => members.slice(0, i + 1).reduce((n, m) => n + m.length, 0));
      const whole = responseCounts(await scan(chunksOf(text)), 1, new Map());

      // Act
      const { net, versions } = await countVersions(gz, cuts);

      // Assess
      expect(Object.fromEntries(net)).toEqual(Object.fromEntries(whole));
      expect(versions.map((v) => v.mode)).toEqual(['first', ...cuts.slice(1).map(() => 'resumed')]);
      // the last versions resume in a later member, the text before the resume offset skipped, not scanned again
      const last = versions.at(-2)?.progress?.member;
      expect(last?.at).toBeGreaterThan(0);
      expect(last?.skip).toBeGreaterThan(0);
      // what the previous version's part weighs: its compressed bytes from that member to the old end
      expect(versions.at(-1)?.minus?.bytes).toBe((cuts.at(-2) ?? 0) - (last?.at ?? 0));
    }
  });

  it('reads a gzip of thousands of tiny members again whole rather than keep every member start (and sums exactly)', async () => {
    // Prepare: members of ~150 bytes of text (a shipper flushing each write): 8,000 starts inside the scanner's
    // window, past the 4,096 kept (the review's case: the list was copied on every member, and grew unbounded)
    const text = repeated('mixed.pjsip-style.log', 1).subarray(0, 1_200_000);
    const members: Buffer[] = [];
    for (let i = 0; i < text.length; i += 150) members.push(gzipSync(text.subarray(i, i + 150), { level: 1 }));
    const gz = Buffer.concat(members);
    const cuts = [members.slice(0, 5_000).reduce((n, m) => n + m.length, 0), gz.length];
    const whole = responseCounts(await scan(chunksOf(text)), 1, new Map());

    // Act
    const { net, versions } = await countVersions(gz, cuts);

    // Assess
    expect(Object.fromEntries(net)).toEqual(Object.fromEntries(whole));
    expect([versions[0]?.progress?.resumeAt, versions[0]?.progress?.member, versions[1]?.mode]).toEqual([
      0,
      undefined,
      'resumed',
    ]);
  });

  it('resumes a record written before gzip members were kept as it was counted then: the new members alone', async () => {
    // Prepare
    const text = repeated('mixed.pjsip-style.log', 2);
    const half = Math.floor(text.length / 2);
    const first = gzipSync(text.subarray(0, half));
    const grown = Buffer.concat([first, gzipSync(text.subarray(half))]);
    const { versions } = await countVersions(first, [first.length]);
    const { member, ...legacy } = versions[0]?.progress ?? ({} as KeyProgress);

    // Act
    const v = await countGrowing(async (from) => chunksOf(grown.subarray(from)), grown.length, {
      ...legacy,
      resumeAt: first.length,
    });

    // Assess
    expect(member).toBeDefined();
    expect(v.mode).toBe('resumed');
    expect(v.minus?.responses).toBe(0);
    const alone = await scan(chunksOf(text.subarray(half)));
    expect([v.counted.responses, v.counted.byCode]).toEqual([alone.responses, alone.byCode]);
  });

  it('counts a gzip file whose old end is not followed by a new member as new content', async () => {
    // Prepare: the whole file compressed again (one member) is longer but shares only the gzip header
    const file = repeated('mixed.pjsip-style.log', 1);
    const a = gzipSync(file.subarray(0, 900_000));
    const b = gzipSync(file);
    const { versions } = await countVersions(a, [a.length]);

    // Act
    const v = await countGrowing(async (from) => chunksOf(b.subarray(from)), b.length, versions[0]?.progress);

    // Assess
    expect([v.mode, v.reason]).toEqual(['new-content', 'prefix-differs']);
    expect(v.counted).toEqual(await scan(chunksOf(b)));
  });
});

describe('countGrowing of a log whose times need context', () => {
  it('reads a time-of-day log again whole and takes back what the previous version put on its own date', async () => {
    // Prepare: tcpdump -A in America/New_York across midnight (times of day only: the date comes from the upload),
    // uploaded 3 times on 2026-11-25 and a 4th time, whole, the next day: one upload of the final file puts every
    // response a day later than tshark does (test/unit/engine/log-times.test.ts), and so must the 4 versions
    const file = gunzipSync(readFileSync(new URL('tcpdump-A-midnight-new-york.txt.gz', TIME_FIXTURES)));
    const truth = JSON.parse(
      readFileSync(new URL('tcpdump-A-midnight-new-york.txt.truth.json', TIME_FIXTURES), 'utf8'),
    ) as { responsesPerMinute: Record<string, Record<string, number>> };
    const dayAfter: Record<string, number> = {};
    for (const [minute, codes] of Object.entries(truth.responsesPerMinute)) {
      const m = new Date(Date.parse(minute) + 86_400_000).toISOString();
      for (const [code, n] of Object.entries(codes)) dayAfter[`${m} code ${code}`] = n;
    }
    const references = ['2026-11-25T06:00:00Z', '2026-11-25T06:00:00Z', '2026-11-25T06:00:00Z', '2026-11-26T06:00:00Z'];
    const cuts = byteCuts(file.length, references.length, 11);
    const net = new Map<string, number>();
    const versions: VersionCount[] = [];
    let progress: KeyProgress | undefined;

    // Act
    for (const [i, cut] of cuts.entries()) {
      const version = file.subarray(0, cut);
      const referenceMs = Date.parse(references[i] ?? '');
      const v = await countGrowing(async (from) => chunksOf(version.subarray(from)), version.length, progress, {
        timeZone: 'America/New_York',
        times: () => ({ referenceMs }),
      });
      responseCounts(v.counted, 1, net);
      if (v.minus !== undefined) responseCounts(v.minus, -1, net);
      versions.push(v);
      progress = v.progress;
    }

    // Assess
    const perMinuteCode = Object.fromEntries([...net].filter(([k]) => / code /.test(k) && k.startsWith('20')));
    expect(perMinuteCode).toEqual(dayAfter);
    expect(versions.map((v) => [v.mode, v.readFrom, v.progress?.resumeAt])).toEqual([
      ['first', undefined, 0],
      ['resumed', 0, 0],
      ['resumed', 0, 0],
      ['resumed', 0, 0],
    ]);
  });
});

describe('countGrowing without the KPIs (the function with KPI_METRICS=false)', () => {
  /** Counts `second` as the version after `first` (a resumable log), with the KPIs on or off. */
  const twoVersions = async (first: Buffer, second: Buffer, kpis: boolean): Promise<VersionCount[]> => {
    const a = await countGrowing(async (from) => chunksOf(first.subarray(from)), first.length, undefined, { kpis });
    const b = await countGrowing(async (from) => chunksOf(second.subarray(from)), second.length, a.progress, { kpis });
    return [a, b];
  };
  const invites = (vs: VersionCount[]): number[] =>
    vs.flatMap((v) => [v.counted.kpis.inviteTransactions, v.minus?.kpis.inviteTransactions ?? 0]);
  const responses = (vs: VersionCount[]): unknown => vs.map((v) => [v.counted.responses, v.counted.byCode]);

  it('tracks none, on the first version and on a resumed one, and counts the responses as with them', async () => {
    // Prepare: a log that resumes part-way (the second version is read from a block, not again whole)
    const file = repeated('mixed.pjsip-style.log', 5);
    const first = file.subarray(0, Math.floor(file.length / 2));
    // Act
    const off = await twoVersions(first, file, false);
    const on = await twoVersions(first, file, true);
    // Assess
    expect(off.map((v) => [v.mode, v.readFrom])).toEqual([
      ['first', undefined],
      ['resumed', BLOCK_BYTES * 2],
    ]);
    expect(on.map((v) => [v.mode, v.readFrom])).toEqual(off.map((v) => [v.mode, v.readFrom]));
    expect(invites(off)).toEqual([0, 0, 0, 0]);
    // the resumed version's part and the part it takes back both hold INVITEs
    expect(
      invites(on)
        .slice(2)
        .every((n) => n > 0),
    ).toBe(true);
    expect(responses(off)).toEqual(responses(on));
  });

  it('tracks none in a gzip grown by a member (`gzip -c more >> log.gz`)', async () => {
    // Prepare
    const text = repeated('mixed.pjsip-style.log', 2);
    const half = Math.floor(text.length / 2);
    const first = gzipSync(text.subarray(0, half));
    const grown = Buffer.concat([first, gzipSync(text.subarray(half))]);
    // Act
    const off = await twoVersions(first, grown, false);
    const on = await twoVersions(first, grown, true);
    // Assess
    expect(off.map((v) => v.mode)).toEqual(['first', 'resumed']);
    expect(invites(off)).toEqual([0, 0, 0, 0]);
    expect(on[1]?.counted.kpis.inviteTransactions).toBeGreaterThan(0);
    expect(responses(off)).toEqual(responses(on));
  });
});

describe('countGrowing leaves no store stream open', () => {
  /**
   * An `open` that hands out Readables, as the S3 client's bodies are, and remembers them: a body left neither read
   * to its end nor destroyed keeps its socket out of the client's pool for the life of a warm function.
   */
  const opener = (file: Buffer) => {
    const bodies: Readable[] = [];
    const open = async (from: number): Promise<Readable> => {
      const body = Readable.from(chunksOf(file.subarray(from)), { objectMode: false });
      bodies.push(body);
      return body;
    };
    /** Each body once its stream has settled: 'ended' (read whole) or 'destroyed' (left early and closed). */
    const states = async (): Promise<string[]> => {
      await new Promise((resolve) => setImmediate(resolve));
      return bodies.map((b) => (b.readableEnded ? 'ended' : b.destroyed ? 'destroyed' : 'open'));
    };
    return { open, states };
  };

  it('closes the body left at the old end when the earlier bytes changed (a resumed text log)', async () => {
    // Prepare
    const file = repeated('mixed.pjsip-style.log', 5);
    const first = file.subarray(0, Math.floor(file.length / 2));
    const { versions } = await countVersions(first, [first.length]);
    const changed = Buffer.from(file);
    changed[first.length - 10] = 0x41;
    const { open, states } = opener(changed);

    // Act
    const v = await countGrowing(open, changed.length, versions[0]?.progress);

    // Assess: resumed from an offset (not read again whole), the proof failed part-way through the first body, which
    // is closed; the second was read whole
    expect(versions[0]?.progress?.resumeAt).toBeGreaterThan(0);
    expect([v.mode, v.reason]).toEqual(['new-content', 'prefix-differs']);
    expect(await states()).toEqual(['destroyed', 'ended']);
  });

  // (here the proof fails inside the generator that reads the body, whose own loop closes it; the tee's closing of
  // its input when both readers end early is what a scan failing for another reason would rely on)
  it('closes the body of a log read again whole when the earlier bytes changed', async () => {
    // Prepare: a time-of-day log (no resume offset: read again whole, its body shared by two scans)
    const file = gunzipSync(readFileSync(new URL('tcpdump-A-midnight-new-york.txt.gz', TIME_FIXTURES)));
    const opts = { timeZone: 'America/New_York', times: () => ({ referenceMs: Date.parse('2026-11-25T06:00:00Z') }) };
    const first = file.subarray(0, Math.floor(file.length / 2));
    const a = await countGrowing(async (from) => chunksOf(first.subarray(from)), first.length, undefined, opts);
    const changed = Buffer.from(file);
    changed[first.length - 10] ^= 0x20;
    const { open, states } = opener(changed);

    // Act
    const v = await countGrowing(open, changed.length, a.progress, opts);

    // Assess
    expect([a.progress?.resumeAt, v.mode, v.reason]).toEqual([0, 'new-content', 'prefix-differs']);
    expect(await states()).toEqual(['destroyed', 'ended']);
  });

  it('closes the body of a gzip whose old end is not followed by a new member', async () => {
    // Prepare
    const file = repeated('mixed.pjsip-style.log', 3);
    const a = gzipSync(file.subarray(0, 900_000));
    const b = Buffer.concat([a, Buffer.from('not a gzip member, but appended text '.repeat(100_000))]);
    const { versions } = await countVersions(a, [a.length]);
    const { open, states } = opener(b);

    // Act
    const v = await countGrowing(open, b.length, versions[0]?.progress);

    // Assess
    expect([v.mode, v.reason]).toEqual(['new-content', 'not-gzip-members']);
    expect(await states()).toEqual(['destroyed', 'ended']);
  });
});
