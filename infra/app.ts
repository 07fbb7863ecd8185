import { App } from 'aws-cdk-lib';

// Placeholder: the stack and its construct land with the CDK issue.
new App().synth();
