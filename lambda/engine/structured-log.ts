import { isJournalExport, JournalExportDecoder } from './journal-export.js';
import { isJournalVerbose, JournalVerboseDecoder } from './journal-verbose.js';
import { isJsonLines, JsonLinesDecoder } from './json-lines.js';
import { isJsonObjects, JsonObjectsDecoder } from './json-objects.js';
import type { RewrittenText } from './rewritten-text.js';
import type { Format } from './types.js';

/** A log whose records wrap the text a program wrote (JSON, journald's forms), and what opens them. */
export interface StructuredLog {
  readonly format: Format;
  readonly decoder: RewrittenText;
}

/**
 * The structured log a text's head shows, if any: one JSON object per line (Docker's json-file, journalctl -o json;
 * json-lines.ts), JSON records laid out otherwise (journalctl -o json-pretty, Kamailio's json:N, CloudWatch Logs and
 * Elasticsearch exports; json-objects.ts), journalctl -o export (journal-export.ts) or -o verbose
 * (journal-verbose.ts). Asked in that order: JSON lines are also JSON records.
 */
export const structuredLogOf = (head: Buffer): StructuredLog | undefined => {
  if (isJsonLines(head)) return { format: 'json-lines', decoder: new JsonLinesDecoder() };
  if (isJsonObjects(head)) return { format: 'json-objects', decoder: new JsonObjectsDecoder() };
  if (isJournalExport(head)) return { format: 'journal-export', decoder: new JournalExportDecoder() };
  if (isJournalVerbose(head)) return { format: 'journal-verbose', decoder: new JournalVerboseDecoder() };
  return undefined;
};
