// A poll's dependencies built on the doubles, for the sweep tests that wire the real adapters: the
// Capillary client (no rate limit to speak of), the EventBridge publisher (no waits between
// attempts) and, unless turned off, the SQS dead-letter sink.
import {
  CapillaryClient,
  type CapillaryClientOptions,
} from '../../src/adapters/capillary/capillary-client.js';
import { EventBridgePublisher } from '../../src/adapters/eventbridge/eventbridge-publisher.js';
import { SqsDeadLetterSink } from '../../src/adapters/sqs/sqs-dead-letter-sink.js';
import type { PollDependencies } from '../../src/domain/poll/poll-customer.js';
import type { CursorStore, Logger } from '../../src/domain/ports.js';
import { type EventBridgeDouble, eventBridgeClientOn } from './eventbridge-double.js';
import { type SqsDouble, sqsClientOn } from './sqs-double.js';

export function pollDependenciesOnDoubles(
  doubles: { capillary: { url: URL }; eventBridge: EventBridgeDouble; sqs: SqsDouble },
  options: {
    /** The Capillary client's options but its URL, rate and logger. */
    capillary: Omit<CapillaryClientOptions, 'baseUrl' | 'requestsPerSecond' | 'logger'>;
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
  const { store, logger } = options;
  const { capillary, eventBridge, sqs } = doubles;
  return {
    source: new CapillaryClient({
      ...options.capillary,
      baseUrl: capillary.url,
      requestsPerSecond: 10_000,
      logger,
    }),
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
