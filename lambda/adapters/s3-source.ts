import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ObjectNotFoundError } from '../errors.js';
import type { ObjectRef, ObjectSource, OpenedObject } from '../ports.js';

/** S3 error names that mean the object version the event announced can never be read. */
const GONE = new Set(['NoSuchKey', 'NotFound', 'NoSuchVersion', 'PreconditionFailed', 'NoSuchBucket']);

const isGone = (e: unknown): boolean => {
  if (!(e instanceof Error)) return false;
  const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return GONE.has(e.name) || status === 404 || status === 412;
};

const quoted = (eTag: string): string => (eTag.startsWith('"') ? eTag : `"${eTag}"`);
const unquoted = (eTag: string): string => eTag.replace(/"/g, '');

/** Creates the container's S3 client; the SDK itself honours AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3. */
export const createS3Client = (opts: { forcePathStyle: boolean }): S3Client =>
  new S3Client({ forcePathStyle: opts.forcePathStyle });

/**
 * Whether a GetObject answer is the upload the event announced: its ETag, and its length (what remains from
 * `fromByte`), when the event gave them. S3 itself answers If-Match with 412; this holds stores that do not to it.
 */
const isAnnouncedUpload = (ref: ObjectRef, eTag: string | undefined, length: number | undefined): boolean => {
  if (ref.versionId !== undefined) return true;
  if (ref.eTag !== undefined && eTag !== undefined && eTag !== unquoted(ref.eTag)) return false;
  return ref.size === undefined || length === undefined || length === ref.size - (ref.fromByte ?? 0);
};

/** ObjectSource over S3 GetObject, streaming the body. */
export class S3ObjectSource implements ObjectSource {
  constructor(private readonly client: S3Client) {}

  async head(ref: ObjectRef): Promise<{ eTag: string; size: number; lastModifiedMs?: number }> {
    try {
      const out = await this.client.send(
        new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId }),
      );
      return {
        eTag: unquoted(out.ETag ?? ''),
        size: out.ContentLength ?? 0,
        lastModifiedMs: out.LastModified?.getTime(),
      };
    } catch (e) {
      if (isGone(e)) throw this.gone(ref, e);
      throw e;
    }
  }

  async open(ref: ObjectRef): Promise<OpenedObject> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({
          Bucket: ref.bucket,
          Key: ref.key,
          VersionId: ref.versionId,
          Range: ref.fromByte ? `bytes=${ref.fromByte}-` : undefined,
          // Without a version id, If-Match makes sure we read the very upload the event announced: an overwrite
          // in between has its own event and its own ledger item (S3 returns 412 Precondition Failed here).
          IfMatch: ref.versionId === undefined && ref.eTag !== undefined ? quoted(ref.eTag) : undefined,
        }),
      );
      const body = out.Body;
      const eTag = out.ETag === undefined ? undefined : unquoted(out.ETag);
      if (!isAnnouncedUpload(ref, eTag, out.ContentLength)) {
        // a store that ignores If-Match (s3rver, the local stack's S3) sent the upload that replaced the announced one,
        // or the part of it written so far under the old ETag: read as S3 answers, 412, so the newer upload is counted
        // by its own event only
        (body as { destroy?: () => void } | undefined)?.destroy?.();
        throw this.gone(ref, Object.assign(new Error('not the announced upload'), { name: 'PreconditionFailed' }));
      }
      if (body === undefined || !(Symbol.asyncIterator in Object(body))) {
        throw new Error(`s3://${ref.bucket}/${ref.key}: GetObject returned no readable body`);
      }
      return {
        body: body as unknown as AsyncIterable<Uint8Array>,
        size: out.ContentLength ?? 0,
        lastModifiedMs: out.LastModified?.getTime(),
        eTag,
      };
    } catch (e) {
      if (isGone(e)) throw this.gone(ref, e);
      throw e;
    }
  }

  private gone(ref: ObjectRef, e: unknown): ObjectNotFoundError {
    const name = e instanceof Error ? e.name : 'unknown';
    return new ObjectNotFoundError(describeGone(ref, name), {
      bucket: ref.bucket,
      key: ref.key,
      versionId: ref.versionId,
      eTag: ref.eTag,
      s3Error: name,
    });
  }
}

/**
 * What "gone" means for this reference. A HEAD answers 404 with no error code (the SDK names it `NotFound`), so
 * a missing bucket and a missing key look alike there; GetObject tells them apart (NoSuchBucket, NoSuchKey).
 * A reference with an ETag or version came from an S3 event, so the object existed: it was deleted or
 * overwritten since. A bare bucket/key came from a person, and the likely cause is a typo.
 */
export const describeGone = (ref: ObjectRef, s3Error: string): string => {
  const where = `s3://${ref.bucket}/${ref.key}`;
  const announced = ref.versionId !== undefined || ref.eTag !== undefined;
  if (s3Error === 'NoSuchBucket') return `${where}: bucket "${ref.bucket}" does not exist (NoSuchBucket)`;
  if (s3Error === 'PreconditionFailed' || s3Error === 'NoSuchVersion') {
    return `${where}: the version the event announced is no longer there (${s3Error}): the object was overwritten or deleted before it was read`;
  }
  const missing = `${where}: key "${ref.key}" does not exist in bucket "${ref.bucket}" (${s3Error})`;
  return announced ? `${missing}: it was deleted after the event announced it` : missing;
};
