// A poll's dependencies with the real delivery built on the AWS doubles, for the sweep tests that
// wire the real adapters: the EventBridge publisher (no waits between attempts) and, unless turned
// off, the SQS dead-letter sink.
import { EventBridgePublisher } from '../../src/adapters/eventbridge/eventbridge-publisher.js';
import { SqsDeadLetterSink } from '../../src/adapters/sqs/sqs-dead-letter-sink.js';
import type { PollDependencies } from '../../src/domain/poll-customer.js';
import type { CursorStore, CustomerEventsSource, Logger } from '../../src/domain/ports.js';
import { type EventBridgeDouble, eventBridgeClientOn } from './eventbridge-double.js';
import { type SqsDouble, sqsClientOn } from './sqs-double.js';

export function pollDependenciesOnDoubles(
  doubles: { eventBridge: EventBridgeDouble; sqs: SqsDouble },
  options: {
    source: CustomerEventsSource;
    store: CursorStore;
    logger: Logger;
    busName: string;
    /** The EventBridge `Source` of the published events. */
    eventSource: string;
    maxAttempts: number;
    /** Park what can never be published on the SQS double (default true). */
    deadLetters?: boolean;
  },
): PollDependencies {
  const { source, store, logger } = options;
  const { eventBridge, sqs } = doubles;
  return {
    source,
    store,
    publisher: new EventBridgePublisher({
      client: eventBridgeClientOn(eventBridge),
      busName: options.busName,
      source: options.eventSource,
      maxAttempts: options.maxAttempts,
      sleep: async () => {},
      logger,
    }),
    deadLetters:
      options.deadLetters === false
        ? undefined
        : new SqsDeadLetterSink({ client: sqsClientOn(sqs), queueUrl: sqs.queueUrl, logger }),
    logger,
    clock: () => new Date(),
  };
}
