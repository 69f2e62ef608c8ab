import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Each room's opening comment (index.ts or README.md) says what it may import; this test holds them to it, so a
 * pure room cannot quietly start depending on an adapter, the SDK or the file system.
 */
const ROOT = resolve(import.meta.dirname, '../..');

const filesUnder = (dir: string): string[] =>
  readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join(dir, name));

/** Every import of a file: relative ones as repository paths (without .js), packages as their names. */
const importsOf = (file: string): { local: string[]; packages: string[] } => {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specs = [...text.matchAll(/^(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)].map((m) => m[1] ?? '');
  const local = specs
    .filter((s) => s.startsWith('.'))
    .map((s) => relative(ROOT, resolve(ROOT, dirname(file), s)).replace(/\.js$/, ''));
  return { local, packages: specs.filter((s) => !s.startsWith('.')) };
};

/** Imports of the files under `dir` that point outside it and match none of `allowed` (path prefixes). */
const strayImports = (dir: string, allowed: readonly string[]): string[] =>
  filesUnder(dir).flatMap((f) =>
    importsOf(f)
      .local.filter((t) => !t.startsWith(`${dir}/`) && !allowed.some((a) => t === a || t.startsWith(`${a}/`)))
      .map((t) => `${f} -> ${t}`),
  );

const packagesOf = (dir: string): string[] =>
  [...new Set(filesUnder(dir).flatMap((f) => importsOf(f).packages))].sort();

describe('rooms import only what their opening comment allows', () => {
  it('contract imports nothing outside itself', () => {
    // Prepare / Act
    const stray = strayImports('lambda/contract', []);
    // Assess
    expect(stray).toEqual([]);
    expect(packagesOf('lambda/contract')).toEqual([]);
  });

  it('the engine imports only the contract and the error types, and no SDK, fs or network client', () => {
    // Prepare / Act
    const stray = strayImports('lambda/engine', ['lambda/contract', 'lambda/errors']);
    // Assess
    expect(stray).toEqual([]);
    // node:module only to require zlib when an input is compressed (lazy-zlib.ts)
    expect(packagesOf('lambda/engine')).toEqual(['node:module', 'node:net', 'node:zlib']);
  });

  it('metric planning imports the engine and the contract only', () => {
    // Prepare / Act
    const stray = strayImports('lambda/metrics', ['lambda/contract', 'lambda/engine']);
    // Assess
    expect(stray).toEqual([]);
    expect(packagesOf('lambda/metrics')).toEqual(['node:crypto']);
  });

  it('growth/ and run-scan talk to storage through the ports, never through an adapter', () => {
    // Prepare
    const pure = ['lambda/contract', 'lambda/engine', 'lambda/metrics', 'lambda/errors', 'lambda/ports'];
    // Act
    const growth = strayImports('lambda/growth', pure);
    const runScan = importsOf('lambda/run-scan.ts').local.filter((t) => t.startsWith('lambda/adapters/'));
    // Assess
    expect(growth).toEqual([]);
    expect(runScan).toEqual([]);
    expect(packagesOf('lambda/growth')).toEqual(['node:crypto']);
  });

  it('the two-core scan imports the engine and the error types only, and of Node what starts a worker', () => {
    // Prepare / Act
    const stray = strayImports('lambda/threads', ['lambda/engine', 'lambda/errors']);
    // Assess
    expect(stray).toEqual([]);
    expect(packagesOf('lambda/threads')).toEqual(['node:module', 'node:url', 'node:worker_threads']);
  });

  it('adapters import no composition, CLI, report, stack or local code', () => {
    // Prepare / Act
    const stray = strayImports('lambda/adapters', [
      'lambda/contract',
      'lambda/engine',
      'lambda/errors',
      'lambda/growth',
      'lambda/metrics',
      'lambda/ports',
    ]);
    // Assess
    expect(stray).toEqual([]);
  });

  it('the CLI is a room of its own: only local/ imports it, and it never imports the Lambda handler or run-scan', () => {
    // Prepare
    const importers = [
      'lambda/engine',
      'lambda/metrics',
      'lambda/growth',
      'lambda/adapters',
      'lambda/contract',
      'infra',
    ];
    // Act
    const intoCli = importers.flatMap((dir) =>
      filesUnder(dir).flatMap((f) =>
        importsOf(f)
          .local.filter((t) => t.startsWith('lambda/cli/'))
          .map((t) => `${f} -> ${t}`),
      ),
    );
    const fromCli = filesUnder('lambda/cli').flatMap((f) =>
      importsOf(f)
        .local.filter((t) => t === 'lambda/handler' || t === 'lambda/run-scan')
        .map((t) => `${f} -> ${t}`),
    );
    // Assess
    expect(intoCli).toEqual([]);
    expect(fromCli).toEqual([]);
  });
});
