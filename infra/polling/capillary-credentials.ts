import { RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { CapillaryAuth } from '../capillary-event-poller-props.js';

/** The secret's JSON shape for each auth kind: created with empty values, filled in by operators. */
const SECRET_TEMPLATES: Record<CapillaryAuth, Record<string, string>> = {
  basic: { username: '', password: '' },
  oauth: { clientKey: '', clientSecret: '' },
};

/** The Capillary credentials: read at run time by ARN and cached; never in the environment or template. */
export class CapillaryCredentials {
  public readonly secret: secretsmanager.ISecret;

  /** `scope` is the poller itself, so the secret keeps its logical ID. */
  constructor(scope: Construct, auth: CapillaryAuth, secret: secretsmanager.ISecret | undefined) {
    this.secret = secret ?? createSecret(scope, auth);
  }

  /** Read the secret's value (and describe it), nothing else. */
  public grantRead(grantee: iam.IGrantable): void {
    this.secret.grantRead(grantee);
  }
}

function createSecret(scope: Construct, auth: CapillaryAuth): secretsmanager.Secret {
  const secret = new secretsmanager.Secret(scope, 'CapillaryCredentials', {
    description:
      auth === 'basic'
        ? 'Capillary API credentials for capillary-event-poller. Put {"username":"...","password":"..."} here (docs/deploying.md).'
        : 'Capillary API credentials for capillary-event-poller. Put {"clientKey":"...","clientSecret":"..."} here (docs/deploying.md).',
    // An empty template of the expected shape (no credential): the poll fails with a clear
    // message until an operator puts the real values.
    secretStringValue: SecretValue.unsafePlainText(JSON.stringify(SECRET_TEMPLATES[auth])),
    removalPolicy: RemovalPolicy.RETAIN,
  });
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      'The secret holds credentials Capillary issues; no rotation function can create new ones, so operators rotate them in Capillary and update the secret.',
  });
  return secret;
}
