import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import {
  METRIC_UNITS,
  METRICS_NAMESPACE,
  type MetricName,
  SERVICE_DIMENSION,
} from '../../src/observability/metric-names.js';

/** The period of the alarms, and of a metric unless told otherwise. */
export const ALARM_PERIOD = Duration.minutes(5);

/** One of the poller's metrics (namespace `CapillaryEventPoller`, dimension `service`). */
export function pollerMetric(
  serviceName: string,
  name: MetricName,
  props: cloudwatch.MetricOptions = {},
): cloudwatch.Metric {
  const unit = METRIC_UNITS[name];
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { [SERVICE_DIMENSION]: serviceName },
    statistic: unit === 'Count' ? cloudwatch.Stats.SUM : cloudwatch.Stats.MAXIMUM,
    period: ALARM_PERIOD,
    ...props,
  });
}
