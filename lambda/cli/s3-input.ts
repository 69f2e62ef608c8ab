import { ObjectNotFoundError, SipMetricsError, UnreadableFileError } from '../errors.js';
import type { ObjectRef } from '../ports.js';
import type { FileInput } from './file-source.js';

/** `s3://bucket/key` -> its parts, or null when the argument is not an S3 URL. */
export const parseS3Url = (arg: string): { bucket: string; key: string } | null => {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(arg);
  return m ? { bucket: m[1] ?? '', key: m[2] ?? '' } : null;
};

/**
 * What the SDK's error says, with what to set when the machine has no AWS settings at all (its own messages name
 * neither the variable nor the file that would give them).
 */
const sdkFailure = (e: unknown): string => {
  if (!(e instanceof Error)) return String(e);
  const what = `${e.name}: ${e.message}`;
  if (e.message === 'Region is missing') return `${what} (set AWS_REGION, or a region in the profile of AWS_PROFILE)`;
  if (e.name === 'CredentialsProviderError') {
    return `${what} (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)`;
  }
  return what;
};

/**
 * An S3 object as a CLI input, read with the SDK's default credentials and region and streamed
 * like a file. Path-style addressing when an endpoint is set (s3rver, MinIO), as in the function.
 */
export const s3Input = async (arg: string, env: NodeJS.ProcessEnv = process.env): Promise<FileInput> => {
  const parsed = parseS3Url(arg);
  if (parsed === null) throw new UnreadableFileError(`${arg}: not an s3://bucket/key URL`);
  const ref: ObjectRef = parsed;
  const forcePathStyle = Boolean(env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL);
  // the AWS SDK loads here, for an s3:// input only: it takes longer to load than a local file to scan
  const { createS3Client, S3ObjectSource } = await import('../adapters/s3-source.js');
  const source = new S3ObjectSource(createS3Client({ forcePathStyle }));
  let size: number;
  let modifiedMs: number | undefined;
  try {
    ({ size, lastModifiedMs: modifiedMs } = await source.head(ref));
  } catch (e) {
    // HEAD's 404 has no body, so it cannot say whether the bucket or the key is missing: GetObject can
    if (e instanceof ObjectNotFoundError && e.context.s3Error === 'NotFound') await source.open(ref);
    if (e instanceof SipMetricsError) throw e;
    throw new UnreadableFileError(`${arg}: cannot read: ${sdkFailure(e)}`);
  }
  async function* chunks(): AsyncGenerator<Uint8Array> {
    try {
      yield* (await source.open(ref)).body;
    } catch (e) {
      if (e instanceof SipMetricsError) throw e;
      throw new UnreadableFileError(
        `${arg}: read failed: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`,
      );
    }
  }
  return { name: arg, size, modifiedMs, chunks };
};
