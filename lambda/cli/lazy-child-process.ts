/**
 * What commander gets for `node:child_process` in the CLI bundle (scripts/cli-bundling.ts): commander requires it as
 * it loads, for executable subcommands (`spawn`), which sip-metrics has none of. Loading it (and node:net and
 * node:dgram with it) was ~6 ms of the bin's start-up; here it loads when spawn is first called, which is never.
 */
import type * as ChildProcess from 'node:child_process';
import { createRequire } from 'node:module';

let loaded: typeof ChildProcess | undefined;

export const spawn = ((...args: Parameters<typeof ChildProcess.spawn>) => {
  loaded ??= createRequire(import.meta.url)('node:child_process') as typeof ChildProcess;
  return loaded.spawn(...args);
}) as typeof ChildProcess.spawn;
