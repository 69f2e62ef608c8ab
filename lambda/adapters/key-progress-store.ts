import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { LEDGER_TTL_ATTRIBUTE, LEDGER_PARTITION_KEY as PK, progressKey } from '../contract/ledger.js';
import { LeaseLostError } from '../errors.js';
import type { KeyProgress } from '../growth/growing-scan.js';
import type { KeyHold, KeyProgressStore } from '../ports.js';

const MS_PER_DAY = 86_400_000;

const s = (v: string): AttributeValue => ({ S: v });
const n = (v: number): AttributeValue => ({ N: String(v) });

const parse = (v: AttributeValue | undefined): KeyProgress | undefined =>
  v?.S === undefined ? undefined : (JSON.parse(v.S) as KeyProgress);

/** KeyProgressStore on the ledger table (no new table, no new permission). */
export class DynamoDbKeyProgressStore implements KeyProgressStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
    private readonly ttlDays: number,
  ) {}

  async acquire(
    bucket: string,
    key: string,
    versionTag: string,
    owner: string,
    nowMs: number,
    leaseMs: number,
  ): Promise<KeyHold> {
    let finishedHolder: string | undefined;
    for (let round = 0; round < 2; round++) {
      try {
        const out = await this.client.send(
          new UpdateItemCommand({
            TableName: this.table,
            Key: { [PK]: s(progressKey(bucket, key)) },
            ConditionExpression:
              'attribute_not_exists(keyLeaseOwner) OR keyLeaseExpiresAtMs < :now OR keyLeaseVersion = :tag' +
              (finishedHolder === undefined ? '' : ' OR keyLeaseVersion = :finished'),
            // the item lives as long as the version items (LEDGER_TTL_DAYS after the key's last version)
            UpdateExpression: `SET keyLeaseOwner = :owner, keyLeaseVersion = :tag, keyLeaseExpiresAtMs = :exp, ${LEDGER_TTL_ATTRIBUTE} = :ttl`,
            ExpressionAttributeValues: {
              ':owner': s(owner),
              ':tag': s(versionTag),
              ':now': n(nowMs),
              ':exp': n(nowMs + leaseMs),
              ':ttl': n(Math.floor((nowMs + this.ttlDays * MS_PER_DAY) / 1000)),
              ...(finishedHolder === undefined ? {} : { ':finished': s(finishedHolder) }),
            },
            ReturnValues: 'ALL_OLD',
          }),
        );
        const item = out.Attributes ?? {};
        const before = item.keyLeaseVersion?.S;
        const abandoned = before !== undefined && before !== versionTag && before !== finishedHolder;
        return {
          kind: 'held',
          progress: parse(item.keyProgress),
          base: parse(item.baseProgress),
          committedBy: item.committedBy?.S,
          ...(abandoned && item.committedBy?.S !== before ? { abandonedBy: before } : {}),
        };
      } catch (e) {
        if (!(e instanceof ConditionalCheckFailedException)) throw e;
      }
      const item = await this.get(progressKey(bucket, key));
      const heldBy = item?.keyLeaseVersion?.S ?? 'unknown';
      // a holder that finished (a crash between its last ledger write and its release) holds nothing any more
      const holder = await this.get(heldBy);
      const status = holder?.status?.S;
      if (round === 0 && (status === 'done' || status === 'failed')) {
        finishedHolder = heldBy;
        continue;
      }
      return { kind: 'busy', heldBy, leaseExpiresAtMs: Number(item?.keyLeaseExpiresAtMs?.N ?? nowMs + leaseMs) };
    }
    return { kind: 'busy', heldBy: 'unknown', leaseExpiresAtMs: nowMs + leaseMs };
  }

  private async get(pk: string): Promise<Record<string, AttributeValue> | undefined> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: { [PK]: s(pk) }, ConsistentRead: true }),
    );
    return out.Item;
  }

  async commit(
    bucket: string,
    key: string,
    versionTag: string,
    owner: string,
    progress: KeyProgress | undefined,
    base: KeyProgress | undefined,
  ): Promise<void> {
    const values: Record<string, AttributeValue> = { ':owner': s(owner), ':tag': s(versionTag) };
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
        values[name] = s(JSON.stringify(v));
      }
    }
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { [PK]: s(progressKey(bucket, key)) },
          ConditionExpression: 'keyLeaseOwner = :owner',
          UpdateExpression: `SET ${set.join(', ')} REMOVE ${remove.join(', ')}`,
          ExpressionAttributeValues: values,
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
          Key: { [PK]: s(progressKey(bucket, key)) },
          ConditionExpression: 'keyLeaseOwner = :owner',
          UpdateExpression: 'REMOVE keyLeaseOwner, keyLeaseVersion, keyLeaseExpiresAtMs',
          ExpressionAttributeValues: { ':owner': s(owner) },
        }),
      );
    } catch {
      // the lease runs out on its own; releasing early only shortens the wait of the next version
    }
  }
}
