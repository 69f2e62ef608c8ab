import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveInputs } from '../../lambda/cli/file-source.js';
import { AUTO_MIN_CORES, TWO_CORE_MIN_BYTES, usesTwoCores } from '../../lambda/cli/scan-threads.js';
import { withoutSeconds } from '../support/cli-output.js';
import { CORPUS_DIR } from '../support/corpus.js';

// `sip-metrics scan --threads`: the real CLI in a child process (through tsx), on one thread and on two. The child
// must exit by itself (spawnSync waits for it; a worker left running would hold it until the timeout).
const runCli = (args: string[]): { code: number; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'lambda/cli/cli.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 120_000,
    maxBuffer: 64 << 20,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};

let dir: string;
let large: string;

beforeAll(() => {
  // a log over TWO_CORE_MIN_BYTES: the pjsip corpus log 35 times over (a log may hold many sessions)
  dir = mkdtempSync(join(tmpdir(), 'sip-metrics-threads-'));
  large = join(dir, 'large-pjsip.log');
  const one = readFileSync(`${CORPUS_DIR}mixed.pjsip-style.log`);
  writeFileSync(large, Buffer.concat(Array.from({ length: 35 }, () => one)));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('sip-metrics scan --threads', () => {
  it('picks two threads for a large local file under auto with three cores, one for a small file, stdin or two cores', async () => {
    // Prepare
    const [big] = await resolveInputs([large]);
    const [small] = await resolveInputs([`${CORPUS_DIR}mixed.pcap`]);
    if (big === undefined || small === undefined) throw new Error('inputs not found');

    // Act
    const verdicts = [
      usesTwoCores('auto', big, 3),
      usesTwoCores('auto', small, 3),
      usesTwoCores('auto', big, 2),
      usesTwoCores('auto', { name: '-', chunks: () => process.stdin }, 3),
      usesTwoCores('1', big, 2),
      usesTwoCores('2', small, 1),
    ];
    // without a count, this machine's: asked of node:os only for a file that large
    const here = usesTwoCores('auto', big);

    // Assess
    expect(big.size).toBe(67_385_430);
    expect(big.size).toBeGreaterThan(TWO_CORE_MIN_BYTES);
    expect(verdicts).toEqual([true, false, false, false, false, true]);
    expect(here).toBe(availableParallelism() >= AUTO_MIN_CORES);
  });

  it('prints the same JSON on two threads as on one (and under auto), for a large log, a gzip, a pcap and a pcapng', () => {
    // Prepare
    const args = ['scan', '--json', '--per-minute', '--by', 'peer', '--tz', 'Europe/Berlin'];
    const others = ['mixed.ngrep.txt.gz', 'mixed.pcap', 'sipp.pcapng'].map((f) => `${CORPUS_DIR}${f}`);

    // Act
    const one = runCli([...args, '--threads', '1', large, ...others]);
    const auto = runCli([...args, large]);
    const two = runCli([...args, '--threads', '2', large, ...others]);

    // Assess
    expect([one.code, one.stderr, auto.code, auto.stderr, two.code, two.stderr]).toEqual([0, '', 0, '', 0, '']);
    const single = withoutSeconds(one.stdout);
    expect(JSON.stringify(withoutSeconds(auto.stdout))).toBe(JSON.stringify(single.slice(0, 1)));
    expect(JSON.stringify(withoutSeconds(two.stdout))).toBe(JSON.stringify(single));
    const log = single[0] as { messages: number; bytes: number };
    expect([log.messages, log.bytes]).toEqual([120_400, 67_385_430]);
  });

  it('fails an input with no SIP as one thread does: same line on stderr, exit code 1', () => {
    // Prepare
    const noSip = join(dir, 'notes.txt');
    writeFileSync(noSip, 'nothing to see here\n'.repeat(1000));

    // Act
    const one = runCli(['scan', '--threads', '1', noSip]);
    const two = runCli(['scan', '--threads', '2', noSip]);

    // Assess
    expect([two.code, two.stderr, two.stdout]).toEqual([one.code, one.stderr, one.stdout]);
    expect(two.code).toBe(1);
    expect(two.stderr).toBe(
      `sip-metrics: ${noSip}: no SIP found in any known format (first bytes 6e 6f 74 68 69 6e 67 20); expected pcap, pcapng, gzip or a SIP text log [UNKNOWN_FORMAT]\n`,
    );
  });

  it('exits 2 for a --threads it does not know', () => {
    // Act
    const r = runCli(['scan', '--threads', '3', `${CORPUS_DIR}mixed.pcap`]);

    // Assess
    expect([r.code, r.stderr]).toEqual([2, 'sip-metrics: --threads 3: expected 1, 2 or auto\n']);
  });
  it('says in its help when auto takes two threads, as usesTwoCores decides it', () => {
    // Act
    const help = runCli(['scan', '--help']).stdout.replace(/\s+/g, ' ');

    // Assess: the size and the core count of the rule, not another's
    expect(help).toContain(
      `auto (2 for local files of ${TWO_CORE_MIN_BYTES / 2 ** 20} MiB or more on ${AUTO_MIN_CORES}+ cores)`,
    );
  });
});
