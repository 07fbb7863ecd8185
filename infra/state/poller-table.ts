import type { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import {
  DUE_INDEX_NAME,
  DUE_INDEX_PARTITION_KEY,
  DUE_INDEX_PROJECTED_ATTRIBUTES,
  DUE_INDEX_SORT_KEY,
  LEGACY_WATCHLIST_INDEX,
} from '../../src/adapters/dynamodb/due-index.js';
import { WALK_KEY } from '../../src/adapters/dynamodb/off-index-walk.js';

/** The table's partition key: one item per watched customer (see src/domain/customer-state.ts). */
const TABLE_PARTITION_KEY = 'customerId';

/**
 * The state room: one item per watched customer, its schedule and cursor beside it. The grants say
 * exactly which item actions each function needs (the table's own grants add `index/*` and actions
 * the functions never use).
 */
export class PollerTable {
  public readonly table: dynamodb.ITable;

  /**
   * Adopts `existing` (which has the `due` index), or creates the table with `scope`, the poller
   * itself, so it keeps its construct path and logical ID.
   */
  constructor(
    scope: Construct,
    existing: dynamodb.ITable | undefined,
    created: { readonly removalPolicy: RemovalPolicy; readonly keepWatchlistIndex: boolean },
  ) {
    this.table = existing ?? createTable(scope, created.removalPolicy, created.keepWatchlistIndex);
  }

  /** Query the due index: what a scheduler tick reads. */
  public grantDueQuery(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [`${this.table.tableArn}/index/${DUE_INDEX_NAME}`],
      }),
    );
  }

  /**
   * Read single items: the cursor an unreadable schedule item is rebuilt from, the tier when the
   * due index lacks it, and the change feed's cursor (its health decides the backstop).
   */
  public grantItemRead(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem'],
        resources: [this.table.tableArn],
      }),
    );
  }

  /**
   * Walk the table for customers off the due index (`backstop-walk.ts`): Scan it, and write the
   * walk's position, that one item only.
   */
  public grantBackstopWalk(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:Scan'], resources: [this.table.tableArn] }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem'],
        resources: [this.table.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [WALK_KEY] } },
      }),
    );
  }

  /** Claim customers with conditional UpdateItems. */
  public grantClaim(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:UpdateItem'],
        resources: [this.table.tableArn],
      }),
    );
  }

  /**
   * What a poll does: read a cursor, write it conditionally, complete the claim, take quota, delete
   * a schedule item left without a cursor.
   */
  public grantCursorReadWrite(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
        ],
        resources: [this.table.tableArn],
      }),
    );
  }

  /**
   * What the change feed does beyond a poll's item calls: read and write the identifier index in
   * batches (`ident#` items).
   */
  public grantIdentifierIndex(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem'],
        resources: [this.table.tableArn],
      }),
    );
  }
}

function createTable(
  scope: Construct,
  removalPolicy: RemovalPolicy,
  keepWatchlistIndex: boolean,
): dynamodb.Table {
  const table = new dynamodb.Table(scope, 'Table', {
    partitionKey: { name: TABLE_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    removalPolicy,
  });
  // 0.1.0's index, only while upgrading: CloudFormation adds or removes one index per update.
  if (keepWatchlistIndex) {
    table.addGlobalSecondaryIndex({
      indexName: LEGACY_WATCHLIST_INDEX.indexName,
      partitionKey: { name: TABLE_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: [...LEGACY_WATCHLIST_INDEX.nonKeyAttributes],
    });
  }
  // Only active schedule items carry `dueShard` (a sparse index): the scheduler queries the due
  // customers, most overdue first, and reads nothing else (keys and the tier, so idle customers
  // stay cheap).
  table.addGlobalSecondaryIndex({
    indexName: DUE_INDEX_NAME,
    partitionKey: { name: DUE_INDEX_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
    sortKey: { name: DUE_INDEX_SORT_KEY, type: dynamodb.AttributeType.NUMBER },
    projectionType: dynamodb.ProjectionType.INCLUDE,
    nonKeyAttributes: [...DUE_INDEX_PROJECTED_ATTRIBUTES],
  });
  return table;
}
