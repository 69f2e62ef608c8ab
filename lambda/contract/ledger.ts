/**
 * The exactly-once ledger's item shape, shared by the function that writes it (`adapters/dynamodb-ledger.ts`), the
 * table that holds it (`infra/constructs/ledger-table.ts`, `local/emulators.ts`) and the local view that reads it.
 */

/** The partition key attribute (string): bucket, key and version of one object. */
export const LEDGER_PARTITION_KEY = 'pk';

/** The DynamoDB TTL attribute (epoch seconds) that expires an item LEDGER_TTL_DAYS after its claim. */
export const LEDGER_TTL_ATTRIBUTE = 'expiresAt';

/** Which object version a ledger item is about. */
export interface LedgerId {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly eTag?: string;
}

/** The partition key value of a version's item: bucket, key, and the version id (versioned buckets) or the ETag. */
export const ledgerKey = (id: LedgerId): string => {
  const version = id.versionId ? `v=${id.versionId}` : id.eTag ? `e=${id.eTag}` : 'latest';
  // "\n" cannot appear in a bucket name and is rare in keys: it keeps bucket/key/version unambiguous
  return `${id.bucket}\n${id.key}\n${version}`;
};

/** The key item's partition key: beside the per-version items (`bucket\nkey\nv=...` or `e=...`) of the same table. */
export const progressKey = (bucket: string, key: string): string => `${bucket}\n${key}\nprogress`;

/** Batch index (in a version item's acknowledged batches) that stands for the FilesFailed datum of a file that could not be read. */
export const FAILED_BATCH_INDEX = -1;
