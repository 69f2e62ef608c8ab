/**
 * The bin runs the CLI's bundle with V8's code cache of it. Node 20 compiles a command's code anew at every start:
 * the CLI's ~390 KB took ~13 ms to compile before it ran, and the functions a first scan calls were compiled one by
 * one as they were reached, about as much again, in a start-up of ~105 ms in all (issue 17 asks for 0.1 s). A code
 * cache holds V8's bytecode of the bundle's top level and of every function compiled before it was made; the build
 * makes one by running the bundle once on a small log (scripts/cli-bundling.ts) and the bin hands it to V8 when it
 * compiles the bundle (`vm.Script`'s `cachedData`), which then compiles none of that again.
 *
 * V8 checks a cache before it uses any of it: one made by another V8 version, with other V8 flags, for a source of
 * another length or cut short is rejected, and the bundle is compiled as if there were none. The bin looks only for
 * the cache of the V8 that runs it (its version is in the file name), so a Node other than the build's reads no file
 * in vain. What V8 does not check in a release build is a checksum of the bytecode (its --verify-snapshot-checksum,
 * whose node:v8 cost ~4 ms of the start-up): the cache is as trusted as the bundle beside it, written once by the
 * build and shipped in the same tarball, which npm checks as a whole.
 * (Node 22.1+ has a cache of its own, `module.enableCompileCache`, written to a temporary folder from a first run:
 * the bin turns it on when the build left no cache for the V8 that runs it. This one is made once, at build time,
 * and works on Node 20, which has none.)
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { join } from 'node:path';
import { Script } from 'node:vm';

/** The CLI's bundle beside the bin (CommonJS: only a script can be compiled with a code cache on Node 20). */
export const CLI_MAIN_FILE = 'cli-main.cjs';

/** The code cache of CLI_MAIN_FILE for a V8 version: V8 takes a cache only from its own version. */
export const compileCacheFile = (v8Version: string = process.versions.v8): string => `cli-main.v8-${v8Version}.cache`;

/** Set to 1, the bin writes the code cache of its run as the process exits (the build's training run). */
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

/** Compiles dir's CLI_MAIN_FILE, with the code cache for this V8 when dir holds one. */
export const compileMain = (dir: string): CompiledMain => {
  const file = join(dir, CLI_MAIN_FILE);
  const cacheFile = join(dir, compileCacheFile());
  // latin1: esbuild writes the bundle as ASCII (it escapes every other character), and latin1 decodes fastest
  const text = readFileSync(file, 'latin1');
  // a hashbang (cli.ts's, which esbuild keeps) is valid only at the very start of a script: a comment inside the wrapper
  const source = text.startsWith('#!') ? `//${text.slice(2)}` : text;
  const cachedData = existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
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

/** Runs the CLI bundle in `dir` (the bin's folder) as Node would run it as a CommonJS module. */
export const runMain = (dir: string): void => {
  const writeCache = process.env[WRITE_COMPILE_CACHE_ENV] === '1';
  if (!writeCache && !existsSync(join(dir, compileCacheFile()))) {
    // no cache from the build for this V8 (a Node other than the one that ran it): Node 22.1+ keeps one of its own
    // from the second run on, in os.tmpdir()/node-compile-cache (NODE_COMPILE_CACHE moves it, and
    // NODE_DISABLE_COMPILE_CACHE=1 turns it off), the API Node added for tools to turn it on; Node 20 compiles
    nodeCompileCache?.();
    nodeModule.createRequire(join(dir, CLI_MAIN_FILE))(join(dir, CLI_MAIN_FILE));
    return;
  }
  const { script, file } = compileMain(dir);
  if (writeCache) {
    // at exit: the cache then holds every function the run compiled, not only the bundle's top level
    process.once('exit', () => {
      // written whole or not at all: V8 refuses a cache of the wrong length, but does not checksum its contents
      const cacheFile = join(dir, compileCacheFile());
      writeFileSync(`${cacheFile}.${process.pid}.tmp`, script.createCachedData());
      renameSync(`${cacheFile}.${process.pid}.tmp`, cacheFile);
    });
  }
  const main = script.runInThisContext() as ModuleFunction;
  const module = { exports: {} };
  main.call(module.exports, module.exports, nodeModule.createRequire(file), module, file, dir);
};
