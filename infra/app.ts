// The CDK app: `npx cdk deploy -c capillaryBaseUrl=https://... [-c key=value ...]`.
// Every setting is CDK context (see CONTEXT_KEYS in infra/context.ts and docs/deploying.md).
import { App, Validations } from 'aws-cdk-lib';
import nag from 'cdk-nag';
import { CapillaryEventPollerStack } from './capillary-event-poller-stack.js';
import { readAppContext } from './context.js';

const app = new App();
let settings: ReturnType<typeof readAppContext>;
try {
  settings = readAppContext((key) => app.node.tryGetContext(key));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}

new CapillaryEventPollerStack(app, settings.stackName, {
  description: 'capillary-event-poller: Capillary customer events pushed to EventBridge',
  // Environment-agnostic unless the CLI knows the account and region (no credentials needed).
  env:
    process.env.CDK_DEFAULT_ACCOUNT && process.env.CDK_DEFAULT_REGION
      ? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION }
      : undefined,
  poller: settings.poller,
});

// cdk-nag v3 is a policy-validation plugin: an unacknowledged finding fails the synth.
if (settings.nag) Validations.of(app).addPlugins(new nag.AwsSolutionsChecks(app));

app.synth();
