/**
 * The exactly-once ledger's item shape, shared by the function that writes it (`adapters/dynamodb-ledger.ts`), the
 * table that holds it (`infra/constructs/ledger-table.ts`, `local/emulators.ts`) and the local view that reads it.
 */

/** The partition key attribute (string): bucket, key and version of one object. */
export const LEDGER_PARTITION_KEY = 'pk';

/** The DynamoDB TTL attribute (epoch seconds) that expires an item LEDGER_TTL_DAYS after its claim. */
export const LEDGER_TTL_ATTRIBUTE = 'expiresAt';
