/// <reference path="./emulator-modules.d.ts" />
import type { Server } from 'node:http';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import dynalite from 'dynalite';
import S3rver from 's3rver';
import { type FunctionSettings, functionSettingsEnvironment } from '../infra/function-environment.js';
import { FUNCTION_ENV, LEDGER_PARTITION_KEY } from '../lambda/contract/index.js';
import { closeServer, LOOPBACK, listenOn, whenListening } from './listen.js';
import { type LoopbackCloudWatch, startLoopbackCloudWatch } from './loopback-cloudwatch.js';

/** s3rver accepts only its own fixed credentials; dynalite and the local CloudWatch accept any. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/** Region the clients sign for; the emulators ignore it. */
export const LOCAL_REGION = 'us-east-1';

/** Ports of the three services; 0 picks a free one. */
export interface LocalPorts {
  readonly s3: number;
  readonly dynamoDb: number;
  readonly cloudWatch: number;
}

/** The ports `npm start` uses unless told otherwise (s3rver's and dynalite's own defaults, then the next one). */
export const DEFAULT_PORTS: LocalPorts = { s3: 4568, dynamoDb: 4567, cloudWatch: 4569 };

/** The command line options that set each port, for the "port in use" message. */
export const PORT_OPTIONS = { s3: '--s3-port', dynamoDb: '--dynamodb-port', cloudWatch: '--cloudwatch-port' } as const;

/** s3rver on 127.0.0.1, its objects kept as files under `directory`. */
export interface LocalS3 {
  readonly url: string;
  readonly port: number;
  readonly directory: string;
  /** The emulator, whose `'event'` emitter reports every object created. */
  readonly emulator: S3rver;
  /** Its HTTP server, to watch requests (multipart completions, reads in progress). */
  readonly server: Server;
  stop(): Promise<void>;
}

/** Starts s3rver on 127.0.0.1 with the given buckets (existing ones, in a kept directory, are reused). */
export const startLocalS3 = async (o: {
  readonly port: number;
  readonly directory: string;
  readonly buckets: readonly string[];
}): Promise<LocalS3> => {
  const emulator = new S3rver({
    address: LOOPBACK,
    port: o.port,
    silent: true,
    directory: o.directory,
    configureBuckets: o.buckets.map((name) => ({ name })),
  });
  await emulator.configureBuckets();
  // listen() rather than run(): run() cannot report a busy port (the error event has no listener and crashes)
  const server = emulator.listen(o.port, LOOPBACK, () => undefined);
  const port = await whenListening(server, o.port, 'S3 (s3rver)', PORT_OPTIONS.s3);
  return {
    url: `http://${LOOPBACK}:${port}`,
    port,
    directory: o.directory,
    emulator,
    server,
    // closing the server also closes s3rver's logger (its 'close' handler)
    stop: () => closeServer(server),
  };
};

/** dynalite on 127.0.0.1: persistent in a LevelDB folder when `path` is given, else in memory. */
export interface LocalDynamoDb {
  readonly url: string;
  readonly port: number;
  readonly path: string | undefined;
  stop(): Promise<void>;
}

/** Starts dynalite on 127.0.0.1. */
export const startLocalDynamoDb = async (o: {
  readonly port: number;
  readonly path?: string;
}): Promise<LocalDynamoDb> => {
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(o.path === undefined ? {} : { path: o.path }),
  });
  const port = await listenOn(server, o.port, 'DynamoDB (dynalite)', PORT_OPTIONS.dynamoDb);
  return {
    url: `http://${LOOPBACK}:${port}`,
    port,
    path: o.path,
    // dynalite's close() also closes its LevelDB, releasing the folder's LOCK for the next start
    stop: () => closeServer(server),
  };
};

/** An S3 client for s3rver. */
export const createLocalS3Client = (url: string): S3Client =>
  new S3Client({
    region: LOCAL_REGION,
    endpoint: url,
    forcePathStyle: true,
    credentials: LOCAL_CREDENTIALS,
    // s3rver stores aws-chunked (checksum-trailer) uploads verbatim: only send checksums when required
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });

/** A DynamoDB client for dynalite. */
export const createLocalDynamoDbClient = (url: string): DynamoDBClient =>
  new DynamoDBClient({ region: LOCAL_REGION, endpoint: url, credentials: LOCAL_CREDENTIALS });

const TABLE_ACTIVE_TIMEOUT_MS = 5_000;

/** Waits until the table is ACTIVE: dynalite answers ResourceNotFound to reads of a table still CREATING. */
const waitUntilActive = async (client: DynamoDBClient, table: string): Promise<void> => {
  const deadline = Date.now() + TABLE_ACTIVE_TIMEOUT_MS;
  while ((await client.send(new DescribeTableCommand({ TableName: table }))).Table?.TableStatus !== 'ACTIVE') {
    if (Date.now() > deadline) throw new Error(`DynamoDB table ${table} did not become ACTIVE`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

/**
 * Creates the ledger table with the handler's key schema (one string partition key, see
 * lambda/adapters/dynamodb-ledger.ts) and waits until it is ACTIVE; a table kept from an earlier start is reused.
 */
export const createLedgerTable = async (client: DynamoDBClient, table: string): Promise<'created' | 'existed'> => {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        AttributeDefinitions: [{ AttributeName: LEDGER_PARTITION_KEY, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: LEDGER_PARTITION_KEY, KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await waitUntilActive(client, table);
    return 'created';
  } catch (e) {
    if (!(e instanceof ResourceInUseException)) throw e;
    await waitUntilActive(client, table);
    return 'existed';
  }
};

/** What to start and where to keep the data. */
export interface LocalServicesOptions {
  readonly ports: LocalPorts;
  /** s3rver's object folder. */
  readonly s3Directory: string;
  /** dynalite's LevelDB folder; absent keeps the ledger in memory. */
  readonly dynamoDbPath?: string;
  /** The local CloudWatch's JSON Lines file; absent keeps datums in memory. */
  readonly cloudWatchDataFile?: string;
  readonly bucket: string;
  readonly table: string;
}

/** S3, DynamoDB and CloudWatch on 127.0.0.1, with the bucket and the ledger table created. */
export interface LocalServices {
  readonly s3: LocalS3;
  readonly dynamoDb: LocalDynamoDb;
  readonly cloudWatch: LoopbackCloudWatch;
  readonly bucket: string;
  readonly table: string;
  /** Stops the three servers, closing every connection they hold. */
  stop(): Promise<void>;
}

/** Starts the three services; when one cannot start, stops the others before rethrowing. */
export const startLocalServices = async (o: LocalServicesOptions): Promise<LocalServices> => {
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async (): Promise<void> => {
    for (const s of started.reverse()) await s.stop();
    started.length = 0;
  };
  try {
    const s3 = await startLocalS3({ port: o.ports.s3, directory: o.s3Directory, buckets: [o.bucket] });
    started.push(s3);
    const dynamoDb = await startLocalDynamoDb({
      port: o.ports.dynamoDb,
      ...(o.dynamoDbPath === undefined ? {} : { path: o.dynamoDbPath }),
    });
    started.push(dynamoDb);
    const cloudWatch = await startLoopbackCloudWatch({
      port: o.ports.cloudWatch,
      portOption: PORT_OPTIONS.cloudWatch,
      ...(o.cloudWatchDataFile === undefined ? {} : { dataFile: o.cloudWatchDataFile }),
    });
    started.push({ stop: () => cloudWatch.close() });
    const ddb = createLocalDynamoDbClient(dynamoDb.url);
    try {
      await createLedgerTable(ddb, o.table);
    } finally {
      ddb.destroy();
    }
    return { s3, dynamoDb, cloudWatch, bucket: o.bucket, table: o.table, stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
};

/** Settings of the function that the local environment carries (the rest keep the handler's defaults). */
/**
 * The environment the Lambda function would get, pointing the SDK at the local services through its standard
 * AWS_ENDPOINT_URL_<SERVICE> settings: the handler's code is unchanged.
 */
export const lambdaEnvironment = (services: LocalServices, settings: FunctionSettings): Record<string, string> => ({
  AWS_REGION: LOCAL_REGION,
  AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  AWS_ENDPOINT_URL_S3: services.s3.url,
  AWS_ENDPOINT_URL_DYNAMODB: services.dynamoDb.url,
  AWS_ENDPOINT_URL_CLOUDWATCH: services.cloudWatch.url,
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  [FUNCTION_ENV.ledgerTable]: services.table,
  ...functionSettingsEnvironment(settings),
});
