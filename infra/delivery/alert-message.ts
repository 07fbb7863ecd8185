import { Stack } from 'aws-cdk-lib';
import {
  type IRule,
  RuleTargetInput,
  type RuleTargetInputProperties,
} from 'aws-cdk-lib/aws-events';

/** What one alert's message shows. */
export interface AlertMessageOptions {
  /** The alert's name, shown in the first line. */
  readonly alertName: string;
  /** Names of `detail.attributes` entries to print, in this order. */
  readonly attributes: readonly string[];
}

/**
 * An input transformer that turns a poller entry into a short, readable notification:
 *
 * ```text
 * "Capillary alert high-value-purchase: Purchase"
 * "Customer: 123456 (org 50123)"
 * "When: 2024-05-01T10:00:00Z"
 * "Attributes: amount=250, storeCode=S1"
 * "Event key: ..."
 * ```
 *
 * Each line is a JSON string, as EventBridge requires of a text template spread over lines (the
 * same shape `RuleTargetInput.fromMultilineText` renders). Keys in the paths map are fixed
 * (`eventName`, `customerId`, `a0`, `a1`, ...), so an attribute whose name matches a top-level
 * field (`date`, `source`, ...) cannot collide with it, which `EventField` would refuse.
 */
export class AlertMessage extends RuleTargetInput {
  constructor(private readonly options: AlertMessageOptions) {
    super();
  }

  /** The paths the template reads, keyed by their placeholder. */
  public inputPathsMap(): Record<string, string> {
    const paths: Record<string, string> = {
      eventName: '$.detail-type',
      customerId: '$.detail.customerId',
      orgId: '$.detail.orgId',
      date: '$.detail.date',
      eventKey: '$.detail.poller.eventKey',
    };
    this.options.attributes.forEach((attribute, index) => {
      paths[`a${index}`] = `$.detail.attributes.${attribute}`;
    });
    return paths;
  }

  /** The message lines, with `<placeholder>`s for EventBridge to fill. */
  public lines(): string[] {
    const lines = [
      `Capillary alert ${this.options.alertName}: <eventName>`,
      'Customer: <customerId> (org <orgId>)',
      'When: <date>',
    ];
    if (this.options.attributes.length > 0) {
      const pairs = this.options.attributes.map((attribute, index) => `${attribute}=<a${index}>`);
      lines.push(`Attributes: ${pairs.join(', ')}`);
    }
    lines.push('Event key: <eventKey>');
    return lines;
  }

  public override bind(rule: IRule): RuleTargetInputProperties {
    const stack = Stack.of(rule);
    return {
      inputPathsMap: this.inputPathsMap(),
      inputTemplate: this.lines()
        .map((line) => stack.toJsonString(line))
        .join('\n'),
    };
  }
}
