import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { LEDGER_TTL_ATTRIBUTE, type LedgerId, ledgerKey, LEDGER_PARTITION_KEY as PK } from '../contract/ledger.js';
import { LeaseLostError } from '../errors.js';
import type { ClaimResult, Ledger } from '../ports.js';

/** Creates the container's DynamoDB client; the SDK honours AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_DYNAMODB. */
export const createDynamoDbClient = (): DynamoDBClient => new DynamoDBClient({});

const s = (v: string): AttributeValue => ({ S: v });
const n = (v: number): AttributeValue => ({ N: String(v) });
const itemKey = (id: LedgerId): Record<string, AttributeValue> => ({ [PK]: s(ledgerKey(id)) });

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
            ExpressionAttributeValues: {
              ':claimed': s('claimed'),
              ':now': n(nowMs),
              ':owner': s(owner),
              ':exp': n(nowMs + leaseMs),
              ':bucket': s(id.bucket),
              ':key': s(id.key),
              ':version': s(id.versionId ? `version ${id.versionId}` : `etag ${id.eTag ?? 'unknown'}`),
              // TTL attributes are epoch seconds (DynamoDB developer guide, "Time to Live")
              ':ttl': n(Math.floor((nowMs + this.ttlDays * MS_PER_DAY) / 1000)),
              ':one': n(1),
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        const item = out.Attributes ?? {};
        return {
          kind: 'claimed',
          refTimeMs: Number(item.refTimeMs?.N ?? nowMs),
          attempt: Number(item.attempts?.N ?? 1),
          acked: new Set((item.ackedBatches?.NS ?? []).map(Number)),
          planDigest: item.planDigest?.S,
        };
      } catch (e) {
        if (!(e instanceof ConditionalCheckFailedException)) throw e;
      }
      const cur = await this.client.send(
        new GetItemCommand({ TableName: this.table, Key: itemKey(id), ConsistentRead: true }),
      );
      const item = cur.Item;
      if (item === undefined) continue;
      const status = item.status?.S;
      if (status === 'done') return { kind: 'done', summary: item.summary?.S ?? '{}' };
      if (status === 'failed') return { kind: 'failed', errorCode: item.errorCode?.S ?? 'UNKNOWN' };
      const exp = Number(item.leaseExpiresAtMs?.N ?? 0);
      if (exp >= nowMs) return { kind: 'busy', leaseExpiresAtMs: exp };
    }
    return { kind: 'busy', leaseExpiresAtMs: nowMs };
  }

  async recordPlan(id: LedgerId, owner: string, digest: string, batchCount: number): Promise<void> {
    await this.ownedUpdate(id, owner, 'SET planDigest = :digest, batchCount = :count', {
      ':digest': s(digest),
      ':count': n(batchCount),
    });
  }

  async ack(id: LedgerId, owner: string, batchIndex: number): Promise<void> {
    // ADD to a number set is idempotent and commutes: concurrent sends each add their own index
    await this.ownedUpdate(id, owner, 'ADD ackedBatches :idx', { ':idx': { NS: [String(batchIndex)] } });
  }

  async complete(id: LedgerId, owner: string, nowMs: number, summary: string, ackBatch?: number): Promise<void> {
    const values: Record<string, AttributeValue> = { ':done': s('done'), ':summary': s(summary), ':now': n(nowMs) };
    if (ackBatch !== undefined) values[':idx'] = { NS: [String(ackBatch)] };
    await this.ownedUpdate(
      id,
      owner,
      'SET #status = :done, summary = :summary, finishedAtMs = :now REMOVE leaseOwner, leaseExpiresAtMs' +
        (ackBatch === undefined ? '' : ' ADD ackedBatches :idx'),
      values,
    );
  }

  async fail(id: LedgerId, owner: string, nowMs: number, errorCode: string, message: string): Promise<void> {
    await this.ownedUpdate(
      id,
      owner,
      'SET #status = :failed, errorCode = :code, errorMessage = :msg, finishedAtMs = :now ' +
        'REMOVE leaseOwner, leaseExpiresAtMs',
      { ':failed': s('failed'), ':code': s(errorCode), ':msg': s(message.slice(0, 1000)), ':now': n(nowMs) },
    );
  }

  async release(id: LedgerId, owner: string): Promise<void> {
    try {
      await this.ownedUpdate(id, owner, 'SET leaseExpiresAtMs = :zero', { ':zero': n(0) });
    } catch {
      // the lease expires on its own; releasing early only shortens the wait of the retry
    }
  }

  private async ownedUpdate(
    id: LedgerId,
    owner: string,
    update: string,
    values: Record<string, AttributeValue>,
  ): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: itemKey(id),
          ConditionExpression: 'leaseOwner = :owner AND #status = :claimedStatus',
          UpdateExpression: update,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ...values, ':owner': s(owner), ':claimedStatus': s('claimed') },
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
