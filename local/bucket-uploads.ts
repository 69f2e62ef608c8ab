import { createReadStream } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { type DropFolder, type StableFile, watchDropFolder } from './drop-folder.js';
import type { FileStatusList } from './file-status.js';

/**
 * Uploads in flight at once. A thousand files dropped together would otherwise open a thousand PUTs on the
 * client's 50 sockets, and the SDK prints "socket usage at capacity=50 and N additional requests are enqueued"
 * into the live view. Waiting files show as `uploading` with their size.
 */
export const MAX_CONCURRENT_UPLOADS = 16;

/** Files above this size single-PUT up to S3's limit; bigger ones go up in parts. */
const SINGLE_PUT_MAX_BYTES = 5 * 1024 ** 3;

/** Uploads local files to the bucket, each file's status kept in `files`. */
export interface BucketUploader {
  /** Uploads a local file to the bucket (under the key prefix unless `key` is given); resolves with its key. */
  uploadFile(path: string, key?: string): Promise<string>;
  /** Uploads not finished yet. */
  uploading(): number;
}

export const createBucketUploader = (o: {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  readonly files: FileStatusList;
}): BucketUploader => {
  const { s3, bucket, prefix, files } = o;
  let uploading = 0;
  let inFlight = 0;
  const waiting: (() => void)[] = [];
  const uploadFile = async (path: string, key = `${prefix}${basename(path)}`): Promise<string> => {
    const { size } = await stat(path);
    uploading++;
    files.set(key, { size, state: 'uploading', summary: undefined, errorCode: undefined, reason: undefined });
    // a finished upload hands its slot straight to the next waiting one, so there are never more in flight
    if (inFlight >= MAX_CONCURRENT_UPLOADS) await new Promise<void>((resume) => waiting.push(resume));
    else inFlight++;
    try {
      if (size <= SINGLE_PUT_MAX_BYTES) {
        // a known length lets the SDK stream the file in one PUT, without buffering or aws-chunked framing
        await s3.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: createReadStream(path), ContentLength: size }),
        );
      } else {
        await new Upload({
          client: s3,
          params: { Bucket: bucket, Key: key, Body: createReadStream(path) },
          partSize: 256 * 1024 * 1024,
          queueSize: 1,
        }).done();
      }
      return key;
    } catch (e) {
      files.set(key, {
        state: 'failed',
        errorCode: 'UPLOAD_FAILED',
        reason: `upload to the local bucket failed: ${e instanceof Error ? e.message : String(e)}`,
      });
      throw e;
    } finally {
      uploading--;
      const next = waiting.shift();
      if (next === undefined) inFlight--;
      else next();
    }
  };
  return { uploadFile, uploading: () => uploading };
};

/** Uploads every file of `dir` (not its folders), in name order, under `${prefix}examples/`. */
export const uploadExamples = async (
  dir: string,
  prefix: string,
  uploadFile: BucketUploader['uploadFile'],
): Promise<void> => {
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => e.name)
    .sort();
  for (const name of names) await uploadFile(join(dir, name), `${prefix}examples/${name}`);
};

/**
 * Watches `dropDir` and uploads each file once it is stable, under `prefix`; `stateFile` remembers the size and
 * mtime of what was uploaded, so that a restart uploads only new or changed files.
 */
export const watchDropFolderUploads = async (o: {
  readonly dropDir: string;
  readonly stateFile: string;
  readonly prefix: string;
  readonly uploadFile: BucketUploader['uploadFile'];
  readonly warn: (message: string) => void;
}): Promise<DropFolder> => {
  let uploaded: Record<string, { size: number; mtimeMs: number }> = {};
  try {
    uploaded = JSON.parse(await readFile(o.stateFile, 'utf8')) as typeof uploaded;
  } catch {
    // first start, or an unreadable file: at worst a file is uploaded again, and the ledger skips it
  }
  const isNew = (f: StableFile): boolean =>
    uploaded[f.name]?.size !== f.size || uploaded[f.name]?.mtimeMs !== f.mtimeMs;
  return watchDropFolder({
    dir: o.dropDir,
    isNew,
    onStable: async (f) => {
      await o.uploadFile(f.path, `${o.prefix}${f.name}`);
      uploaded = { ...uploaded, [f.name]: { size: f.size, mtimeMs: f.mtimeMs } };
      await writeFile(o.stateFile, JSON.stringify(uploaded, null, 1));
    },
    onError: (name, e) => o.warn(`${name}: ${e instanceof Error ? e.message : String(e)}`),
  });
};
