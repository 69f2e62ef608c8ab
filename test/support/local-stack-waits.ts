import { readFileSync } from 'node:fs';
import { readStackConfig, type StackConfig } from '../../infra/config.js';
import { FINAL_STATES } from '../../local/file-status.js';
import type { LocalStack } from '../../local/local-stack.js';

/** The deployed configuration, read from cdk.json as `npm start` reads it, with `-c`-style overrides on top. */
export const cdkConfig = (overrides: Readonly<Record<string, unknown>> = {}): StackConfig =>
  readStackConfig({
    ...(JSON.parse(readFileSync('cdk.json', 'utf8')) as { context: Record<string, unknown> }).context,
    ...overrides,
  });

/** Polls until `predicate` holds; fails with `what` after `timeoutMs`. */
export const waitFor = async (what: string, predicate: () => boolean, timeoutMs = 15_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

/** Whether every key has reached a final state in the stack's file list. */
export const finished = (stack: LocalStack, keys: readonly string[]) => (): boolean =>
  keys.every((k) => {
    const f = stack.snapshot().files.find((x) => x.key === k);
    return f !== undefined && FINAL_STATES.has(f.state);
  });
