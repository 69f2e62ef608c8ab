/**
 * Headless Chromium for the picture tests: Debian's `chromium` package (.ci/run installs it), driven by
 * playwright-core, which downloads no browser of its own. One browser per test file keeps them fast.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Where the tests save their screenshots (gitignored; CI keeps it as an artifact). */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

/** The system's Chromium; CHROMIUM_PATH overrides it. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Starts headless Chromium (no sandbox: CI containers run as root, where Chromium's sandbox refuses to start). */
export const launchChromium = async (): Promise<Browser> => {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'], headless: true });
};

/** The visible text of every element matching `selector`, trimmed. */
export const textsOf = (page: Page, selector: string): Promise<string[]> =>
  page.$$eval(selector, (els) => els.map((e) => (e.textContent ?? '').trim()));

/** A table's body as rows of cell texts (the row's `th` first). */
export const tableRows = (page: Page, table: string): Promise<string[][]> =>
  page.$$eval(`table[data-table="${table}"] tbody tr`, (rows) =>
    rows.map((r) => [...r.children].map((c) => (c.textContent ?? '').trim())),
  );

/** "1,234" as 1234. */
export const numberOf = (text: string): number => Number(text.replaceAll(',', ''));
