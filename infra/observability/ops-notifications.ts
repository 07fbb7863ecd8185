import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';

export interface OpsNotificationsProps {
  /** An existing topic for the alarms; none creates one. */
  readonly opsTopic: sns.ITopic | undefined;
  readonly opsEmails: readonly string[];
}

/**
 * The topics' key and the ops topic the alarms notify. CloudWatch alarms need the key policy below
 * to publish to an encrypted topic; the rule targets of alerts add EventBridge's grant themselves.
 */
export class OpsNotifications {
  /** Encrypts the topics the poller creates (CloudWatch and EventBridge may use it). */
  public readonly topicKey: kms.Key;
  public readonly opsTopic: sns.ITopic;

  /** `scope` is the poller itself, so the key and topic keep their logical IDs. */
  constructor(scope: Construct, props: OpsNotificationsProps) {
    this.topicKey = new kms.Key(scope, 'TopicKey', {
      description: 'Encrypts the capillary-event-poller ops and alert topics',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    // Only this account's alarms (CloudWatch sends the alarm's ARN and account with the request).
    // `Resource: *` in a key policy is the key itself.
    const stack = Stack.of(scope);
    this.topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublishToEncryptedTopics',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    this.opsTopic =
      props.opsTopic ??
      new sns.Topic(scope, 'OpsTopic', {
        displayName: 'capillary-event-poller operations',
        masterKey: this.topicKey,
        enforceSSL: true,
      });
    for (const email of props.opsEmails) {
      this.opsTopic.addSubscription(new subscriptions.EmailSubscription(email));
    }
  }
}
