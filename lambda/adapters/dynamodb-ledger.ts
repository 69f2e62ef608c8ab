import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { LEDGER_TTL_ATTRIBUTE, type LedgerId, ledgerKey, LEDGER_PARTITION_KEY as PK } from '../contract/ledger.js';
import { LeaseLostError } from '../errors.js';
import type { ClaimResult, Ledger } from '../ports.js';

/** Creates the container's DynamoDB client; the SDK honours AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_DYNAMODB. */
export const createDynamoDbClient = (): DynamoDBClient => new DynamoDBClient({});

const itemKey = (id: LedgerId): Record<string, AttributeValue> => marshall({ [PK]: ledgerKey(id) });

/** The attributes of a version item this adapter reads back (see the writes below). */
interface LedgerItem {
  readonly status?: string;
  readonly refTimeMs?: number;
  readonly attempts?: number;
  readonly ackedBatches?: ReadonlySet<number>;
  readonly planDigest?: string;
  readonly leaseExpiresAtMs?: number;
  readonly summary?: string;
  readonly errorCode?: string;
}

const readItem = (attributes: Record<string, AttributeValue>): LedgerItem => unmarshall(attributes) as LedgerItem;

/** A scalar, or a number set (`new Set([1])`, an NS): what the update expressions below are given. */
type Value = string | number | ReadonlySet<number>;

const MS_PER_DAY = 86_400_000;

/** Ledger on one DynamoDB table with the string partition key LEDGER_PARTITION_KEY (`pk`). */
export class DynamoDbLedger implements Ledger {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
    private readonly ttlDays: number,
  ) {}

  async claim(id: LedgerId, owner: string, nowMs: number, leaseMs: number): Promise<ClaimResult> {
    // a lost race with a finishing claimer can leave the item expired by the time we read it: try again
    for (let round = 0; round < 3; round++) {
      try {
        const out = await this.client.send(
          new UpdateItemCommand({
            TableName: this.table,
            Key: itemKey(id),
            ConditionExpression: `attribute_not_exists(${PK}) OR (#status = :claimed AND leaseExpiresAtMs < :now)`,
            UpdateExpression:
              'SET #status = :claimed, leaseOwner = :owner, leaseExpiresAtMs = :exp, ' +
              'refTimeMs = if_not_exists(refTimeMs, :now), s3Bucket = :bucket, objectKey = :key, ' +
              `objectVersion = :version, ${LEDGER_TTL_ATTRIBUTE} = :ttl ADD attempts :one`,
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: marshall({
              ':claimed': 'claimed',
              ':now': nowMs,
              ':owner': owner,
              ':exp': nowMs + leaseMs,
              ':bucket': id.bucket,
              ':key': id.key,
              ':version': id.versionId ? `version ${id.versionId}` : `etag ${id.eTag ?? 'unknown'}`,
              // TTL attributes are epoch seconds (DynamoDB developer guide, "Time to Live")
              ':ttl': Math.floor((nowMs + this.ttlDays * MS_PER_DAY) / 1000),
              ':one': 1,
            }),
            ReturnValues: 'ALL_NEW',
            // the item that failed the condition comes back with the error: no second read to learn why
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        const item = readItem(out.Attributes ?? {});
        return {
          kind: 'claimed',
          refTimeMs: item.refTimeMs ?? nowMs,
          attempt: item.attempts ?? 1,
          acked: new Set(item.ackedBatches ?? []),
          planDigest: item.planDigest,
        };
      } catch (e) {
        if (!(e instanceof ConditionalCheckFailedException)) throw e;
        const found = e.Item ?? (await this.read(id));
        if (found === undefined) continue;
        const item = readItem(found);
        if (item.status === 'done') return { kind: 'done', summary: item.summary ?? '{}' };
        if (item.status === 'failed') return { kind: 'failed', errorCode: item.errorCode ?? 'UNKNOWN' };
        const exp = item.leaseExpiresAtMs ?? 0;
        if (exp >= nowMs) return { kind: 'busy', leaseExpiresAtMs: exp };
      }
    }
    return { kind: 'busy', leaseExpiresAtMs: nowMs };
  }

  /**
   * The item as it is now. DynamoDB returns the item with a failed condition (ReturnValuesOnConditionCheckFailure);
   * dynalite, the emulator of the tests and the local stack, does not, so the item is read once more there.
   */
  private async read(id: LedgerId): Promise<Record<string, AttributeValue> | undefined> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: itemKey(id), ConsistentRead: true }),
    );
    return out.Item;
  }

  async recordPlan(id: LedgerId, owner: string, digest: string, batchCount: number): Promise<void> {
    await this.ownedUpdate(id, owner, 'SET planDigest = :digest, batchCount = :count', {
      ':digest': digest,
      ':count': batchCount,
    });
  }

  async ack(id: LedgerId, owner: string, batchIndex: number): Promise<void> {
    // ADD to a number set is idempotent and commutes: concurrent sends each add their own index
    await this.ownedUpdate(id, owner, 'ADD ackedBatches :idx', { ':idx': new Set([batchIndex]) });
  }

  async complete(id: LedgerId, owner: string, nowMs: number, summary: string, ackBatch?: number): Promise<void> {
    const values: Record<string, Value> = { ':done': 'done', ':summary': summary, ':now': nowMs };
    if (ackBatch !== undefined) values[':idx'] = new Set([ackBatch]);
    await this.ownedUpdate(
      id,
      owner,
      'SET #status = :done, summary = :summary, finishedAtMs = :now REMOVE leaseOwner, leaseExpiresAtMs' +
        (ackBatch === undefined ? '' : ' ADD ackedBatches :idx'),
      values,
    );
  }

  async fail(
    id: LedgerId,
    owner: string,
    nowMs: number,
    errorCode: string,
    message: string,
    partial?: string,
  ): Promise<void> {
    const values = { ':failed': 'failed', ':code': errorCode, ':msg': message.slice(0, 1000), ':now': nowMs };
    const set = 'SET #status = :failed, errorCode = :code, errorMessage = :msg, finishedAtMs = :now';
    await this.ownedUpdate(
      id,
      owner,
      `${set}${partial === undefined ? '' : ', partialSummary = :partial'} REMOVE leaseOwner, leaseExpiresAtMs`,
      partial === undefined ? values : { ...values, ':partial': partial },
    );
  }

  async release(id: LedgerId, owner: string): Promise<void> {
    try {
      await this.ownedUpdate(id, owner, 'SET leaseExpiresAtMs = :zero', { ':zero': 0 });
    } catch {
      // the lease expires on its own; releasing early only shortens the wait of the retry
    }
  }

  private async ownedUpdate(id: LedgerId, owner: string, update: string, values: Record<string, Value>): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: itemKey(id),
          ConditionExpression: 'leaseOwner = :owner AND #status = :claimedStatus',
          UpdateExpression: update,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: marshall({ ...values, ':owner': owner, ':claimedStatus': 'claimed' }),
        }),
      );
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) {
        throw new LeaseLostError(
          `s3://${id.bucket}/${id.key}: the claim was taken over by another invocation; stopping to avoid double counts`,
          { bucket: id.bucket, key: id.key },
        );
      }
      throw e;
    }
  }
}
