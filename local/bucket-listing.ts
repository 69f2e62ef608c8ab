import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/** One object of the local bucket as a listing gives it. */
export interface ListedObject {
  readonly key: string;
  readonly size: number;
}

/**
 * Every object of the bucket, whatever its key. At a restart the view is rebuilt from the ledger, which knows
 * neither the size of a failed file (it has no summary) nor the objects outside the notified prefix (the handler
 * never saw them); the bucket knows both.
 */
export const listBucket = async (s3: S3Client, bucket: string): Promise<Map<string, ListedObject>> => {
  const objects = new Map<string, ListedObject>();
  let token: string | undefined;
  do {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const o of out.Contents ?? []) {
      if (o.Key !== undefined) objects.set(o.Key, { key: o.Key, size: o.Size ?? 0 });
    }
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token !== undefined);
  return objects;
};
