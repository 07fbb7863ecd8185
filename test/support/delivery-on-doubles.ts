// The poller's delivery built on the AWS doubles, for the sweep tests that wire the real adapters:
// the EventBridge publisher (no waits between attempts) and the SQS dead-letter sink.
import { EventBridgePublisher } from '../../src/adapters/eventbridge/eventbridge-publisher.js';
import { SqsDeadLetterSink } from '../../src/adapters/sqs/sqs-dead-letter-sink.js';
import type { Logger } from '../../src/domain/ports.js';
import { type EventBridgeDouble, eventBridgeClientOn } from './eventbridge-double.js';
import { type SqsDouble, sqsClientOn } from './sqs-double.js';

export function deliveryOnDoubles(
  doubles: { eventBridge: EventBridgeDouble; sqs: SqsDouble },
  options: { busName: string; source: string; maxAttempts: number; logger: Logger },
): { publisher: EventBridgePublisher; deadLetters: SqsDeadLetterSink } {
  const { busName, source, maxAttempts, logger } = options;
  const { eventBridge, sqs } = doubles;
  return {
    publisher: new EventBridgePublisher({
      client: eventBridgeClientOn(eventBridge),
      busName,
      source,
      maxAttempts,
      sleep: async () => {},
      logger,
    }),
    deadLetters: new SqsDeadLetterSink({
      client: sqsClientOn(sqs),
      queueUrl: sqs.queueUrl,
      logger,
    }),
  };
}
