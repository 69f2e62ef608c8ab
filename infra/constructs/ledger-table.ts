import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { LEDGER_PARTITION_KEY, LEDGER_TTL_ATTRIBUTE } from '../../lambda/contract/index.js';
import { DEFAULTS } from '../defaults.js';

/** Properties of {@link LedgerTable}. */
export interface LedgerTableProps {
  /**
   * Keep the table (and turn on deletion protection) when the stack is deleted.
   * @default true
   */
  readonly retainData?: boolean;
}

/**
 * The exactly-once ledger: one item per object version (claimed, acknowledged batches, done or failed), keyed by
 * `pk` (string) and expired by DynamoDB TTL on `expiresAt` (epoch seconds), which the function writes.
 */
export class LedgerTable extends Construct {
  /** The DynamoDB table the function's `LEDGER_TABLE` names. */
  readonly table: Table;

  constructor(scope: Construct, id: string, props: LedgerTableProps = {}) {
    super(scope, id);
    const retain = props.retainData ?? DEFAULTS.retainData;
    this.table = new Table(this, 'Table', {
      partitionKey: { name: LEDGER_PARTITION_KEY, type: AttributeType.STRING },
      // a few writes per file, in bursts when logs arrive: on-demand costs nothing while idle
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: LEDGER_TTL_ATTRIBUTE,
      encryption: TableEncryption.AWS_MANAGED,
      deletionProtection: retain,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
  }
}
