/**
 * The bin runs the CLI's bundle with V8's code cache of it. Node 20 compiles a command's code anew at every start:
 * the CLI's code took ~13 ms to compile before it ran, and the functions a first scan calls were compiled one by one
 * as they were reached, about as much again, in a start-up of ~105 ms in all (issue 17 asks for 0.1 s). A code cache
 * holds V8's bytecode of the bundle's top level and of every function compiled before it was made; the build makes
 * one by running the bundle once on a small log (scripts/cli-bundling.ts) and the bin hands it to V8 when it compiles
 * the bundle (`vm.Script`'s `cachedData`), which then compiles none of that again.
 *
 * V8 checks a cache before it uses any of it: one made by another V8 version or under other V8 flags (Node's
 * `--max-old-space-size`, `--max-semi-space-size`, `--expose-gc`... on the command line or in NODE_OPTIONS), one cut
 * short, or one made for a source of another length is rejected, and the bundle is compiled as if there were none.
 * V8 compares the source's length, not its bytes, and a release V8 does not checksum the bytecode either
 * (`--verify-snapshot-checksum` would, but setting it costs ~4 ms of the start-up and changes the flag hash): the
 * cache belongs to the bundle the build wrote beside it and ships with it in one tarball, which npm verifies. So
 * `cli-main.cjs` is not to be edited in place: an edit that keeps its length keeps running the old bytecode, and a
 * changed byte inside the cache made V8 abort. Deleting the `.cache` file (or building again) is the cure for both.
 *
 * The bin looks only for the cache of the V8, platform and architecture that run it (all in the file name). When
 * the build left none for them (a Node other than the build's), it turns on Node 22.1+'s own compile cache
 * (`module.enableCompileCache`, written to a temporary folder from a first run on) and requires the bundle.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { join } from 'node:path';
import { Script } from 'node:vm';

/** The CLI's bundle beside the bin (CommonJS: only a script can be compiled with a code cache on Node 20). */
export const CLI_MAIN_FILE = 'cli-main.cjs';

/** The code cache of CLI_MAIN_FILE for the V8, platform and architecture that run this process. */
export const compileCacheFile = (): string =>
  `cli-main.v8-${process.versions.v8}-${process.platform}-${process.arch}.cache`;

/** The code cache in `dir` for this V8, or undefined when the build left none for it. */
const readCompileCache = (dir: string): Buffer | undefined => {
  const cacheFile = join(dir, compileCacheFile());
  return existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
};

/**
 * Set to a file's path, the bin writes the code cache of its run there as the process exits: the build's training
 * run (scripts/cli-bundling.ts writeCompileCache). Unset in any other run.
 */
export const WRITE_COMPILE_CACHE_ENV = 'SIP_METRICS_WRITE_COMPILE_CACHE';

/** What became of the cache: V8 used it, V8 refused it (and compiled the bundle), or there was none to give. */
export type CacheUse = 'accepted' | 'rejected' | 'none';

/** The bundle compiled as a CommonJS module's function (Node's own wrapper), and what became of its cache. */
export interface CompiledMain {
  readonly script: Script;
  readonly cache: CacheUse;
  readonly file: string;
}

/** Node's CommonJS wrapper, on a line of its own so that the bundle's lines keep their numbers in stack traces. */
const WRAPPER_HEAD = '(function (exports, require, module, __filename, __dirname) {\n';

/** Compiles dir's CLI_MAIN_FILE, with `cachedData` (by default the code cache for this V8 when dir holds one). */
export const compileMain = (dir: string, cachedData: Buffer | undefined = readCompileCache(dir)): CompiledMain => {
  const file = join(dir, CLI_MAIN_FILE);
  // latin1: the bundle is ASCII (charset 'ascii' in scripts/cli-bundling.ts), and latin1 decodes fastest
  const text = readFileSync(file, 'latin1');
  // a hashbang (cli.ts's, which esbuild keeps) is valid only at the very start of a script: a comment inside the wrapper
  const source = text.startsWith('#!') ? `//${text.slice(2)}` : text;
  const script = new Script(`${WRAPPER_HEAD}${source}\n})`, { filename: file, lineOffset: -1, cachedData });
  const cache: CacheUse = cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'accepted';
  return { script, cache, file };
};

/** What the bundle's wrapper takes: Node's CommonJS module arguments. */
type ModuleFunction = (
  exports: object,
  require: NodeJS.Require,
  module: { exports: object },
  filename: string,
  dirname: string,
) => void;

/** Node 22.1+'s own compile cache (absent from Node 20's typings, hence the optional type). */
const nodeCompileCache = (nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache;

/**
 * Writes the cache of `script` to `path` as the process exits, whole or not at all (a file renamed into place: V8
 * refuses a cache of the wrong length, but reads a whole one as it is). A failed write is said on stderr and changes
 * neither the run's output nor its exit code.
 */
const writeCacheAtExit = (script: Script, path: string): void => {
  process.once('exit', () => {
    // at exit: the cache then holds every function the run compiled, not only the bundle's top level
    const partial = `${path}.${process.pid}.tmp`;
    try {
      writeFileSync(partial, script.createCachedData());
      renameSync(partial, path);
    } catch (e) {
      rmSync(partial, { force: true });
      process.stderr.write(`sip-metrics: no code cache written to ${path}: ${e instanceof Error ? e.message : e}\n`);
    }
  });
};

/** Runs the CLI bundle in `dir` (the bin's folder) as Node would run it as a CommonJS module. */
export const runMain = (dir: string): void => {
  const writeTo = process.env[WRITE_COMPILE_CACHE_ENV];
  const cachedData = readCompileCache(dir);
  if (writeTo === undefined && cachedData === undefined) {
    // No cache from the build for this V8 (a Node other than the one that ran it). Node 22.1+ then keeps one of its
    // own from the second run on, in os.tmpdir()/node-compile-cache: the API Node added for tools to turn it on
    // (NODE_COMPILE_CACHE moves it, NODE_DISABLE_COMPILE_CACHE=1 turns it off). Node 20 compiles the bundle.
    nodeCompileCache?.();
    nodeModule.createRequire(join(dir, CLI_MAIN_FILE))(join(dir, CLI_MAIN_FILE));
    return;
  }
  const { script, file } = compileMain(dir, cachedData);
  if (writeTo !== undefined) writeCacheAtExit(script, writeTo);
  const main = script.runInThisContext() as ModuleFunction;
  const module = { exports: {} };
  main.call(module.exports, module.exports, nodeModule.createRequire(file), module, file, dir);
};
