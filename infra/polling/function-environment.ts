import type { Duration } from 'aws-cdk-lib';
import { METRICS_NAMESPACE } from '../../src/observability/metric-names.js';
import type { CapillaryEventPollerProps } from '../capillary-event-poller-props.js';
import { settingsEnvironment } from '../props-validation.js';

/** The resources and derived knobs both functions are told about. */
export interface FunctionEnvironmentOptions {
  readonly tableName: string;
  readonly eventBusName: string;
  readonly secretArn: string;
  readonly pollInterval: Duration;
  readonly maxPollInterval: Duration;
  readonly claimDuration: Duration;
  readonly serviceName: string;
}

/** The settings both functions read (src/config/settings.ts); never a credential. */
export function functionEnvironment(
  props: CapillaryEventPollerProps,
  options: FunctionEnvironmentOptions,
): Record<string, string> {
  return {
    // Settings from props (their defaults are the runtime's; see ENVIRONMENT_PROPS).
    ...settingsEnvironment(props),
    TABLE_NAME: options.tableName,
    EVENT_BUS_NAME: options.eventBusName,
    CAPILLARY_BASE_URL: props.capillaryBaseUrl,
    CAPILLARY_SECRET_ARN: options.secretArn,
    // The schedule's knobs, with the defaults derived from the interval and the worker timeout.
    POLL_INTERVAL_SECONDS: String(options.pollInterval.toSeconds()),
    MAX_POLL_INTERVAL_SECONDS: String(options.maxPollInterval.toSeconds()),
    CLAIM_SECONDS: String(options.claimDuration.toSeconds()),
    POWERTOOLS_SERVICE_NAME: options.serviceName,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    // Stack traces point at the TypeScript sources (the bundle ships its source map).
    NODE_OPTIONS: '--enable-source-maps',
  };
}
