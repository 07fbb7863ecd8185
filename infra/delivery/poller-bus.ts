import type { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

export interface PollerBusProps {
  /** An existing bus; none creates one. */
  readonly eventBus: events.IEventBus | undefined;
  /** The `source` of every entry: the archive keeps this poller's events only. */
  readonly eventSource: string;
  readonly archiveRetention: Duration;
}

/** The bus events are put on, and an archive of this poller's events so consumers can replay them. */
export class PollerBus {
  public readonly eventBus: events.IEventBus;
  public readonly archive: events.Archive;

  /** `scope` is the poller itself, so the bus and archive keep their logical IDs. */
  constructor(scope: Construct, props: PollerBusProps) {
    this.eventBus =
      props.eventBus ??
      new events.EventBus(scope, 'EventBus', {
        description: 'Capillary customer events, pushed by capillary-event-poller',
      });
    this.archive = new events.Archive(scope, 'Archive', {
      sourceEventBus: this.eventBus,
      eventPattern: { source: [props.eventSource] },
      retention: props.archiveRetention,
      description: `Every ${props.eventSource} event, for replay`,
    });
  }

  /** PutEvents on this bus, nothing else. */
  public grantPutEvents(grantee: iam.IGrantable): void {
    this.eventBus.grantPutEventsTo(grantee);
  }
}
