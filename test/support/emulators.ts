/// <reference path="./emulator-modules.d.ts" />
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import dynalite from 'dynalite';
import S3rver from 's3rver';
import { type FakeCloudWatch, startFakeCloudWatch } from './fake-cloudwatch.js';
import type { ObjectEventInput } from './s3-event.js';

/** s3rver accepts only its own fixed credentials. */
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
const REGION = 'us-east-1';

/** The local stack of one test file: S3, DynamoDB and CloudWatch on 127.0.0.1, free ports. */
export interface Emulators {
  readonly bucket: string;
  readonly table: string;
  readonly cloudWatch: FakeCloudWatch;
  /** The environment the Lambda function would get, pointing at the emulators. */
  readonly env: Readonly<Record<string, string>>;
  /** Uploads bytes (or a stream) and returns what the S3 notification would say about it. */
  put(key: string, body: Uint8Array | string | NodeJS.ReadableStream, size?: number): Promise<ObjectEventInput>;
  delete(key: string): Promise<void>;
  /** The ledger item of an object, as DynamoDB returns it (undefined when there is none). */
  ledgerItem(pk: string): Promise<Record<string, unknown> | undefined>;
  stop(): Promise<void>;
}

const listen = async (server: Server): Promise<number> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
};

/** Starts s3rver, dynalite and the fake CloudWatch, and creates the bucket and the ledger table. */
export const startEmulators = async (bucket = 'sip-logs', table = 'sip-metrics-ledger'): Promise<Emulators> => {
  const dir = mkdtempSync(join(tmpdir(), 'sip-metrics-s3rver-'));
  const s3rver = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: dir,
    configureBuckets: [{ name: bucket }],
  });
  const s3Address = await s3rver.run();
  const dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const dynamoPort = await listen(dynamo);
  const cloudWatch = await startFakeCloudWatch();

  const s3Endpoint = `http://127.0.0.1:${s3Address.port}`;
  const dynamoEndpoint = `http://127.0.0.1:${dynamoPort}`;
  const s3 = new S3Client({
    region: REGION,
    endpoint: s3Endpoint,
    forcePathStyle: true,
    credentials: CREDENTIALS,
    // s3rver stores aws-chunked (checksum-trailer) uploads verbatim: only send checksums when required
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  const ddb = new DynamoDBClient({ region: REGION, endpoint: dynamoEndpoint, credentials: CREDENTIALS });
  await ddb.send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );

  const env: Record<string, string> = {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_S3: s3Endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
    AWS_ENDPOINT_URL_CLOUDWATCH: cloudWatch.url,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    LEDGER_TABLE: table,
    METRICS_NAMESPACE: 'SIP',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  };

  return {
    bucket,
    table,
    cloudWatch,
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
      await cloudWatch.close();
      dynamo.closeAllConnections?.();
      await new Promise<void>((resolve) => dynamo.close(() => resolve()));
      await s3rver.close();
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
