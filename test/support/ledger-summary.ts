/** What the handler stored in the local ledger for an object, read the way the DynamoDB client returns it. */
import { ledgerKey } from '../../lambda/contract/ledger.js';
import type { Emulators } from './emulators.js';
import type { ObjectEventInput } from './s3-event.js';

/** A string attribute of a DynamoDB item ('null' when absent, so that JSON.parse gives null). */
export const stringAttr = (item: Record<string, unknown> | undefined, name: string): string =>
  (item?.[name] as { S?: string } | undefined)?.S ?? 'null';

/** The file summary the ledger keeps for an object (its handled version). */
export const ledgerSummary = async (emu: Emulators, obj: ObjectEventInput): Promise<Record<string, unknown>> =>
  JSON.parse(stringAttr(await emu.ledgerItem(ledgerKey(obj)), 'summary')) as Record<string, unknown>;
