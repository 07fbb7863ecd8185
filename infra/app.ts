// The CDK app: `npx cdk deploy -c capillaryBaseUrl=https://... [-c key=value ...]`.
// Every setting is CDK context (see CONTEXT_KEYS in infra/context.ts and docs/deploying.md).
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import nag from 'cdk-nag';
import { CapillaryEventPollerStack } from './capillary-event-poller-stack.js';
import { readAppContext } from './context.js';

/**
 * Builds and synthesizes the stack from `app`'s context. A mistake (a misspelt key, a value out
 * of range, props the construct refuses) is written to `stderr` as one line per problem, without
 * a stack trace, and the result is 1; 0 once synthesized.
 */
export function runApp(app: App, stderr: { write(text: string): unknown }): number {
  try {
    const settings = readAppContext(
      (key) => app.node.tryGetContext(key),
      Object.keys(app.node.getAllContext()),
    );
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
    return 0;
  } catch (error) {
    stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

const entry = process.argv[1];
if (entry !== undefined && realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url))) {
  process.exitCode = runApp(new App(), process.stderr);
}
