import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  createLocalDynamoDbClient,
  createLocalS3Client,
  lambdaEnvironment,
  startLocalServices,
} from '../../local/emulators.js';
import type { LoopbackCloudWatch } from '../../local/loopback-cloudwatch.js';
import type { ObjectEventInput } from './s3-event.js';

/** The local stack of one test file: S3, DynamoDB and CloudWatch on 127.0.0.1, free ports. */
export interface Emulators {
  readonly bucket: string;
  readonly table: string;
  readonly cloudWatch: LoopbackCloudWatch;
  /** The environment the Lambda function would get, pointing at the emulators. */
  readonly env: Readonly<Record<string, string>>;
  /** Uploads bytes (or a stream) and returns what the S3 notification would say about it. */
  put(key: string, body: Uint8Array | string | NodeJS.ReadableStream, size?: number): Promise<ObjectEventInput>;
  delete(key: string): Promise<void>;
  /** The ledger item of an object, as DynamoDB returns it (undefined when there is none). */
  ledgerItem(pk: string): Promise<Record<string, unknown> | undefined>;
  stop(): Promise<void>;
}

/** Starts s3rver, dynalite (in memory) and the loopback CloudWatch (local/emulators.ts) with test helpers on top. */
export const startEmulators = async (bucket = 'sip-logs', table = 'sip-metrics-ledger'): Promise<Emulators> => {
  const dir = mkdtempSync(join(tmpdir(), 'sip-metrics-s3rver-'));
  const services = await startLocalServices({
    ports: { s3: 0, dynamoDb: 0, cloudWatch: 0 },
    s3Directory: dir,
    bucket,
    table,
  });
  const s3 = createLocalS3Client(services.s3.url);
  const ddb = createLocalDynamoDbClient(services.dynamoDb.url);
  const env: Record<string, string> = {
    ...lambdaEnvironment(services, { namespace: 'SIP' }),
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  };

  return {
    bucket,
    table,
    cloudWatch: services.cloudWatch,
    env,
    async put(key, body, size) {
      let eTag: string | undefined;
      if (typeof body === 'string' || body instanceof Uint8Array) {
        eTag = (await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }))).ETag;
      } else {
        const upload = new Upload({
          client: s3,
          params: { Bucket: bucket, Key: key, Body: body as PutObjectCommand['input']['Body'] },
          // bodies up to one part (64 MiB) go up in one PutObject, so the ETag stays a plain MD5
          partSize: 64 * 1024 * 1024,
        });
        eTag = (await upload.done()).ETag;
      }
      const bytes = size ?? (typeof body === 'string' ? Buffer.byteLength(body) : (body as Uint8Array).byteLength);
      return { bucket, key, size: bytes, eTag: (eTag ?? '').replace(/"/g, '') };
    },
    async delete(key) {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    async ledgerItem(pk) {
      const out = await ddb.send(
        new GetItemCommand({ TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true }),
      );
      return out.Item as Record<string, unknown> | undefined;
    },
    async stop() {
      s3.destroy();
      ddb.destroy();
      await services.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

/** Applies env to process.env and imports a fresh copy of the handler, as a cold start would. */
export const coldStartHandler = async (
  env: Readonly<Record<string, string>>,
  resetModules: () => void,
): Promise<typeof import('../../lambda/handler.js')> => {
  Object.assign(process.env, env);
  resetModules();
  return import('../../lambda/handler.js');
};
