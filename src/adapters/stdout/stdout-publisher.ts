import type { Writable } from 'node:stream';
import { describeError } from '../../domain/errors.js';
import type { EventPublisher, OutgoingEvent, PublishOutcome } from '../../domain/ports.js';

export interface StdoutPublisherOptions {
  busName: string;
  source: string;
  /** Where the lines go (default `process.stdout`). */
  stream?: Writable;
}

/** One printed line: the PutEvents entry, with `Detail` as an object for readability. */
interface PrintedEntry {
  Source: string;
  DetailType: string;
  Time: string;
  EventBusName: string;
  Detail: OutgoingEvent['detail'];
}

/**
 * The local run's publisher: prints each event as one JSON line shaped like the PutEvents entry
 * the EventBridge publisher would send, and reports it published once the stream took it.
 */
export class StdoutPublisher implements EventPublisher {
  readonly #busName: string;
  readonly #source: string;
  readonly #stream: Writable;
  #streamError: string | undefined;

  constructor(options: StdoutPublisherOptions) {
    this.#busName = options.busName;
    this.#source = options.source;
    this.#stream = options.stream ?? process.stdout;
    // A failed write also emits 'error' (EPIPE when the reader went away): it is reported as the
    // events' outcome instead of crashing the process.
    this.#stream.on('error', (error) => {
      this.#streamError = describeError(error);
    });
  }

  toLine(event: OutgoingEvent): string {
    const entry: PrintedEntry = {
      Source: this.#source,
      DetailType: event.detailType,
      Time: event.time.toISOString(),
      EventBusName: this.#busName,
      Detail: event.detail,
    };
    return `${JSON.stringify(entry)}\n`;
  }

  async publish(events: readonly OutgoingEvent[]): Promise<PublishOutcome[]> {
    const outcomes: PublishOutcome[] = [];
    for (const event of events) {
      let line: string;
      try {
        line = this.toLine(event);
      } catch (error) {
        outcomes.push({
          key: event.key,
          status: 'rejected',
          reason: `detail cannot be serialized: ${describeError(error)}`,
        });
        continue;
      }
      const error = await this.#write(line);
      outcomes.push(
        error === undefined
          ? { key: event.key, status: 'published' }
          : { key: event.key, status: 'failed', reason: `cannot write to the output: ${error}` },
      );
    }
    return outcomes;
  }

  /** Resolves once the stream took the line (its callback ran): an error message, or nothing. */
  #write(line: string): Promise<string | undefined> {
    if (this.#stream.destroyed || this.#stream.writableEnded) {
      return Promise.resolve(this.#streamError ?? 'the output stream is closed');
    }
    return new Promise((resolve) => {
      try {
        this.#stream.write(line, (error) => resolve(error ? describeError(error) : undefined));
      } catch (error) {
        resolve(describeError(error));
      }
    });
  }
}
