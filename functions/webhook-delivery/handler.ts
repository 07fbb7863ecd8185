// One webhook's delivery function, on its queue: signs and POSTs each event, at the webhook's pace.
// Partial batch failures are written by hand (SQSBatchResponse): Powertools' batch utility is not
// a dependency of this project. Built once per container; secrets are read through one cache.
import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { ClientCredentialsTokens } from '../../src/adapters/webhook/oauth-client-credentials.js';
import { SqsDeliveryQueues } from '../../src/adapters/webhook/sqs-delivery-queues.js';
import { parseWebhookDeliveryConfig } from '../../src/adapters/webhook/webhook-delivery-config.js';
import { secretReader } from '../../src/adapters/webhook/webhook-secrets.js';
import { sendWebhook } from '../../src/adapters/webhook/webhook-sender.js';
import { domainLogger } from '../../src/runtime/lambda-runtime.js';
import {
  deliverWebhooks,
  type WebhookDeliveryDependencies,
} from '../../src/runtime/webhook-delivery.js';

const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'webhook-delivery',
});

let container: WebhookDeliveryDependencies | undefined;

function createDependencies(): WebhookDeliveryDependencies {
  const config = parseWebhookDeliveryConfig(process.env.WEBHOOK_DELIVERY);
  // Not src/runtime/aws-clients.ts: it would load the DynamoDB and EventBridge clients at cold
  // start too. The SDK's standard retries (3 attempts), as the poller's SQS client has.
  const client = new SQSClient({ retryMode: 'standard', maxAttempts: 3 });
  return {
    config,
    secrets: secretReader(new SecretsProvider()),
    tokens: new ClientCredentialsTokens(),
    queues: new SqsDeliveryQueues({
      client,
      queueUrl: config.queueUrl,
      deadLetterQueueUrl: config.deadLetterQueueUrl,
    }),
    send: sendWebhook,
    logger: domainLogger(logger),
  };
}

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  logger.addContext(context);
  container ??= createDependencies();
  const left = await deliverWebhooks(
    event.Records.map((record) => ({
      messageId: record.messageId,
      receiptHandle: record.receiptHandle,
      body: record.body,
      sentAt: Number(record.attributes.SentTimestamp),
      receiveCount: Number(record.attributes.ApproximateReceiveCount) || 1,
    })),
    container,
    Date.now() + context.getRemainingTimeInMillis(),
  );
  return { batchItemFailures: left.map((itemIdentifier) => ({ itemIdentifier })) };
};
