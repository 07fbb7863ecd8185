import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { PollerBusLogs } from '../capillary-event-poller-props.js';

/** The log types a level sends (EventBridge's vended log types, one delivery source each). */
const BUS_LOG_TYPES: Record<PollerBusLogs['level'], readonly string[]> = {
  ERROR: ['ERROR_LOGS'],
  INFO: ['ERROR_LOGS', 'INFO_LOGS'],
  TRACE: ['ERROR_LOGS', 'INFO_LOGS', 'TRACE_LOGS'],
};

export interface PollerBusProps {
  /** An existing bus; none creates one. */
  readonly eventBus: events.IEventBus | undefined;
  /** The `source` of every entry: the archive keeps this poller's events only. */
  readonly eventSource: string;
  readonly archiveRetention: Duration;
  /** EventBridge's logs of a bus created here, or none. */
  readonly logs?: PollerBusLogs | undefined;
  readonly logRetention: logs.RetentionDays;
}

/** The bus events are put on, and an archive of this poller's events so consumers can replay them. */
export class PollerBus {
  public readonly eventBus: events.IEventBus;
  public readonly archive: events.Archive;
  /** Where EventBridge's logs of the bus go, when `busLogs` is set. */
  public readonly logGroup: logs.LogGroup | undefined;

  /** `scope` is the poller itself, so the bus and archive keep their logical IDs. */
  constructor(scope: Construct, props: PollerBusProps) {
    this.eventBus =
      props.eventBus ??
      new events.EventBus(scope, 'EventBus', {
        description: 'Capillary customer events, pushed by capillary-event-poller',
        ...(props.logs === undefined
          ? {}
          : {
              logConfig: {
                level: events.Level[props.logs.level],
                includeDetail: props.logs.includeDetail
                  ? events.IncludeDetail.FULL
                  : events.IncludeDetail.NONE,
              },
            }),
      });
    this.logGroup =
      props.logs === undefined || props.eventBus !== undefined
        ? undefined
        : busLogDelivery(scope, this.eventBus, props.logs, props.logRetention);
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

/** A log group, and one CloudWatch Logs delivery per log type of the level, from the bus to it. */
function busLogDelivery(
  scope: Construct,
  bus: events.IEventBus,
  busLogs: PollerBusLogs,
  retention: logs.RetentionDays,
): logs.LogGroup {
  const logGroup = new logs.LogGroup(scope, 'EventBusLogGroup', {
    // Vended logs go to /aws/vendedlogs/ groups without a resource policy per group.
    logGroupName: `/aws/vendedlogs/events/${bus.node.addr}`,
    retention,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const destination = new logs.CfnDeliveryDestination(scope, 'EventBusLogDestination', {
    name: `events-${bus.node.addr}`.slice(0, 60),
    destinationResourceArn: logGroup.logGroupArn,
  });
  for (const logType of BUS_LOG_TYPES[busLogs.level]) {
    const kind = logType.split('_')[0]?.toLowerCase() ?? 'logs';
    const source = new logs.CfnDeliverySource(scope, `EventBusLogSource-${kind}`, {
      name: `events-${kind}-${bus.node.addr}`.slice(0, 60),
      resourceArn: bus.eventBusArn,
      logType,
    });
    const delivery = new logs.CfnDelivery(scope, `EventBusLogDelivery-${kind}`, {
      deliverySourceName: source.name,
      deliveryDestinationArn: destination.attrArn,
    });
    delivery.addDependency(source);
  }
  return logGroup;
}
