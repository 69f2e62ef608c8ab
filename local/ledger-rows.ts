import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { LEDGER_PARTITION_KEY } from '../lambda/contract/index.js';
import type { FileSummary } from '../lambda/run-scan.js';

/** A ledger item, as far as the view needs it. */
export interface LedgerRow {
  readonly key: string;
  readonly pk: string;
  readonly status: string;
  readonly summary: FileSummary | undefined;
  readonly errorCode: string | undefined;
  readonly errorMessage: string | undefined;
  readonly finishedAtMs: number | undefined;
}

const parseSummary = (text: string | undefined): FileSummary | undefined => {
  if (text === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'object' || v === null) return undefined;
    const s = v as Partial<FileSummary>;
    return typeof s.responses === 'number' && typeof s.responsesByClass === 'object' ? (v as FileSummary) : undefined;
  } catch {
    return undefined;
  }
};

const rowOf = (item: Record<string, AttributeValue>): LedgerRow => ({
  key: item.objectKey?.S ?? '',
  pk: item[LEDGER_PARTITION_KEY]?.S ?? '',
  status: item.status?.S ?? '',
  summary: parseSummary(item.summary?.S),
  errorCode: item.errorCode?.S,
  errorMessage: item.errorMessage?.S,
  finishedAtMs: item.finishedAtMs?.N === undefined ? undefined : Number(item.finishedAtMs.N),
});

/** Every row of the ledger. */
export const scanLedger = async (ddb: DynamoDBClient, table: string): Promise<LedgerRow[]> => {
  const rows: LedgerRow[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = await ddb.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }));
    rows.push(...(out.Items ?? []).map(rowOf));
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
  return rows;
};

/** One row of the ledger, read consistently; undefined when the handler wrote none. */
export const getLedgerRow = async (ddb: DynamoDBClient, table: string, pk: string): Promise<LedgerRow | undefined> => {
  const out = await ddb.send(
    new GetItemCommand({ TableName: table, Key: { [LEDGER_PARTITION_KEY]: { S: pk } }, ConsistentRead: true }),
  );
  return out.Item === undefined ? undefined : rowOf(out.Item);
};

/** Ends the lease of every `claimed` row, so that a redelivery may claim it again at once. */
export const releaseClaims = async (ddb: DynamoDBClient, table: string, rows: readonly LedgerRow[]): Promise<void> => {
  for (const row of rows.filter((r) => r.status === 'claimed')) {
    try {
      await ddb.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { [LEDGER_PARTITION_KEY]: { S: row.pk } },
          ConditionExpression: '#status = :claimed',
          UpdateExpression: 'SET leaseExpiresAtMs = :zero',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':claimed': { S: 'claimed' }, ':zero': { N: '0' } },
        }),
      );
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
    }
  }
};
