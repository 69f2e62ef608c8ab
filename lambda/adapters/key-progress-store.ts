import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { LEDGER_TTL_ATTRIBUTE, LEDGER_PARTITION_KEY as PK, progressKey } from '../contract/ledger.js';
import { LeaseLostError } from '../errors.js';
import type { KeyProgress } from '../growth/growing-scan.js';
import type { KeyHold, KeyProgressStore } from '../ports.js';

const MS_PER_DAY = 86_400_000;

/** The attributes of a key item (and of the version item holding it) this store reads back. */
interface KeyItem {
  readonly keyLeaseVersion?: string;
  readonly keyLeaseExpiresAtMs?: number;
  readonly keyProgress?: string;
  readonly baseProgress?: string;
  readonly committedBy?: string;
  readonly status?: string;
}

const readItem = (attributes: Record<string, AttributeValue> | undefined): KeyItem | undefined =>
  attributes === undefined ? undefined : (unmarshall(attributes) as KeyItem);

const parse = (v: string | undefined): KeyProgress | undefined =>
  v === undefined ? undefined : (JSON.parse(v) as KeyProgress);

const itemKey = (pk: string): Record<string, AttributeValue> => marshall({ [PK]: pk });

/** KeyProgressStore on the ledger table (no new table, no new permission). */
export class DynamoDbKeyProgressStore implements KeyProgressStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
    private readonly ttlDays: number,
  ) {}

  // the parameters are the port's (lambda/ports.ts documents them)
  async acquire(...args: Parameters<KeyProgressStore['acquire']>): Promise<KeyHold> {
    const [bucket, key, versionTag, owner, nowMs, leaseMs] = args;
    let finishedHolder: string | undefined;
    for (let round = 0; round < 2; round++) {
      try {
        const out = await this.client.send(
          new UpdateItemCommand({
            TableName: this.table,
            Key: itemKey(progressKey(bucket, key)),
            ConditionExpression:
              'attribute_not_exists(keyLeaseOwner) OR keyLeaseExpiresAtMs < :now OR keyLeaseVersion = :tag' +
              (finishedHolder === undefined ? '' : ' OR keyLeaseVersion = :finished'),
            // the item lives as long as the version items (LEDGER_TTL_DAYS after the key's last version)
            UpdateExpression: `SET keyLeaseOwner = :owner, keyLeaseVersion = :tag, keyLeaseExpiresAtMs = :exp, ${LEDGER_TTL_ATTRIBUTE} = :ttl`,
            ExpressionAttributeValues: marshall({
              ':owner': owner,
              ':tag': versionTag,
              ':now': nowMs,
              ':exp': nowMs + leaseMs,
              ':ttl': Math.floor((nowMs + this.ttlDays * MS_PER_DAY) / 1000),
              ...(finishedHolder === undefined ? {} : { ':finished': finishedHolder }),
            }),
            ReturnValues: 'ALL_OLD',
            // the key item that failed the condition comes back with the error: it names the holder
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        const item = readItem(out.Attributes) ?? {};
        const before = item.keyLeaseVersion;
        const abandoned = before !== undefined && before !== versionTag && before !== finishedHolder;
        return {
          kind: 'held',
          progress: parse(item.keyProgress),
          base: parse(item.baseProgress),
          committedBy: item.committedBy,
          ...(abandoned && item.committedBy !== before ? { abandonedBy: before } : {}),
        };
      } catch (e) {
        if (!(e instanceof ConditionalCheckFailedException)) throw e;
        // dynalite (tests, local stack) returns no item with the error: read it there
        const item = readItem(e.Item ?? (await this.get(progressKey(bucket, key))));
        const heldBy = item?.keyLeaseVersion ?? 'unknown';
        // a holder that finished (a crash between its last ledger write and its release) holds nothing any more
        const status = readItem(await this.get(heldBy))?.status;
        if (round === 0 && (status === 'done' || status === 'failed')) {
          finishedHolder = heldBy;
          continue;
        }
        return { kind: 'busy', heldBy, leaseExpiresAtMs: item?.keyLeaseExpiresAtMs ?? nowMs + leaseMs };
      }
    }
    return { kind: 'busy', heldBy: 'unknown', leaseExpiresAtMs: nowMs + leaseMs };
  }

  private async get(pk: string): Promise<Record<string, AttributeValue> | undefined> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: itemKey(pk), ConsistentRead: true }),
    );
    return out.Item;
  }

  async commit(...args: Parameters<KeyProgressStore['commit']>): Promise<void> {
    const [bucket, key, versionTag, owner, progress, base] = args;
    const values: Record<string, string> = { ':owner': owner, ':tag': versionTag };
    const set = ['committedBy = :tag'];
    // the version's counts are all published: the next version may go (one write for both saves a round trip)
    const remove: string[] = ['keyLeaseOwner', 'keyLeaseVersion', 'keyLeaseExpiresAtMs'];
    for (const [attr, name, v] of [
      ['keyProgress', ':progress', progress],
      ['baseProgress', ':base', base],
    ] as const) {
      if (v === undefined) remove.push(attr);
      else {
        set.push(`${attr} = ${name}`);
        values[name] = JSON.stringify(v);
      }
    }
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: itemKey(progressKey(bucket, key)),
          ConditionExpression: 'keyLeaseOwner = :owner',
          UpdateExpression: `SET ${set.join(', ')} REMOVE ${remove.join(', ')}`,
          ExpressionAttributeValues: marshall(values),
        }),
      );
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) {
        throw new LeaseLostError(
          `s3://${bucket}/${key}: the key was taken over by another invocation; stopping to avoid double counts`,
          { bucket, key },
        );
      }
      throw e;
    }
  }

  async release(bucket: string, key: string, owner: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: itemKey(progressKey(bucket, key)),
          ConditionExpression: 'keyLeaseOwner = :owner',
          UpdateExpression: 'REMOVE keyLeaseOwner, keyLeaseVersion, keyLeaseExpiresAtMs',
          ExpressionAttributeValues: marshall({ ':owner': owner }),
        }),
      );
    } catch {
      // the lease runs out on its own; releasing early only shortens the wait of the next version
    }
  }
}
