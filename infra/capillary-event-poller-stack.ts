import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { CapillaryEventPoller } from './capillary-event-poller.js';
import type { CapillaryEventPollerProps } from './capillary-event-poller-props.js';

export interface CapillaryEventPollerStackProps extends StackProps {
  /**
   * The poller's props, or a function of the stack that builds them (to import existing
   * resources, which needs the stack as their scope).
   * @default - none, required
   */
  readonly poller: CapillaryEventPollerProps | ((stack: Stack) => CapillaryEventPollerProps);
}

/** One poller and the outputs operators need (the CLI's TABLE_NAME, the secret to fill in, ...). */
export class CapillaryEventPollerStack extends Stack {
  public readonly poller: CapillaryEventPoller;

  constructor(scope: Construct, id: string, props: CapillaryEventPollerStackProps) {
    super(scope, id, props);
    const pollerProps = typeof props.poller === 'function' ? props.poller(this) : props.poller;
    this.poller = new CapillaryEventPoller(this, 'Poller', pollerProps);
    const poller = this.poller;

    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    output('TableName', poller.table.tableName, 'The watchlist table: TABLE_NAME for the CLI');
    output('EventBusName', poller.eventBus.eventBusName, 'The bus events are put on');
    output('EventBusArn', poller.eventBus.eventBusArn, 'The bus events are put on');
    output('EventSource', poller.eventSource, 'The source of every entry');
    output('SecretArn', poller.secret.secretArn, 'Put the Capillary credentials in this secret');
    if (poller.identifierKey !== undefined) {
      output(
        'IdentifierKeySecretArn',
        poller.identifierKey.secretArn,
        'IDENTIFIER_KEY_SECRET_ARN for the CLI: watch add hashes identifiers under this key',
      );
    }
    output(
      'DeadLetterQueueUrl',
      poller.deadLetterQueue.queueUrl,
      'Events that cannot be published',
    );
    output(
      'SchedulerFunctionName',
      poller.scheduler.functionName,
      'Claims due customers every interval and queues them',
    );
    output('WorkerFunctionName', poller.worker.functionName, 'Polls the claimed customers');
    output('WorkQueueUrl', poller.workQueue.queueUrl, 'Claimed customers waiting for a worker');
    output(
      'WorkDeadLetterQueueUrl',
      poller.workDeadLetterQueue.queueUrl,
      'Work messages that failed 3 times',
    );
    output('OpsTopicArn', poller.opsTopic.topicArn, 'The topic the alarms notify');
    const webhooks = Object.entries(poller.webhooks);
    if (webhooks.length > 0) {
      output(
        'WebhookQueues',
        this.toJsonString(
          Object.fromEntries(
            webhooks.map(([name, webhook]) => [
              name,
              { queueUrl: webhook.queue.queueUrl, dlqUrl: webhook.deadLetterQueue.queueUrl },
            ]),
          ),
        ),
        "Each webhook's queue and dead-letter queue: WEBHOOK_QUEUES for the CLI's dlq --webhook",
      );
    }
    if (poller.dashboard !== undefined) {
      output('DashboardName', poller.dashboard.dashboardName, 'The CloudWatch dashboard');
    }
    if (poller.schemaRegistry !== undefined) {
      output(
        'SchemaRegistryName',
        poller.schemaRegistry.attrRegistryName,
        'The registry holding the detail schema',
      );
    }
  }
}
