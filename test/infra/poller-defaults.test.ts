// The composition: what the default stack holds as a whole, its outputs and cdk-nag's verdict.
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { SharedPollerStack } from './shared-stacks.js';

const defaults = new SharedPollerStack('default');
const { ref } = defaults;

describe('default CapillaryEventPoller stack', () => {
  it('creates exactly the resources of the design', () => {
    const counts = {
      'AWS::DynamoDB::Table': 1,
      'AWS::Events::EventBus': 1,
      'AWS::Events::Archive': 1,
      'AWS::Events::Rule': 0,
      // The Capillary credentials and the change feed's identifier key.
      'AWS::SecretsManager::Secret': 2,
      'AWS::SQS::Queue': 3,
      'AWS::SQS::QueuePolicy': 3,
      'AWS::KMS::Key': 1,
      'AWS::SNS::Topic': 1,
      'AWS::SNS::Subscription': 1,
      'AWS::Logs::LogGroup': 3,
      // Scheduler, worker, change feed.
      'AWS::Lambda::Function': 3,
      'AWS::Lambda::EventInvokeConfig': 2,
      'AWS::Lambda::EventSourceMapping': 1,
      'AWS::IAM::Role': 5,
      'AWS::IAM::Policy': 5,
      'AWS::IAM::ManagedPolicy': 0,
      'AWS::Scheduler::Schedule': 2,
      'AWS::EventSchemas::Registry': 1,
      'AWS::EventSchemas::Schema': 1,
      'AWS::CloudWatch::Alarm': 15,
      'AWS::CloudWatch::Dashboard': 1,
    };
    for (const [type, count] of Object.entries(counts)) {
      expect([type, Object.keys(defaults.template.findResources(type)).length]).toEqual([
        type,
        count,
      ]);
    }
  });

  it('outputs what operators need', () => {
    for (const output of [
      'TableName',
      'EventBusName',
      'EventBusArn',
      'EventSource',
      'SecretArn',
      'IdentifierKeySecretArn',
      'DeadLetterQueueUrl',
      'SchedulerFunctionName',
      'WorkerFunctionName',
      'WorkQueueUrl',
      'WorkDeadLetterQueueUrl',
      'OpsTopicArn',
      'DashboardName',
      'SchemaRegistryName',
    ]) {
      defaults.template.hasOutput(output, { Value: Match.anyValue() });
    }
    defaults.template.hasOutput('TableName', { Value: ref(defaults.poller.table.tableName) });
  });

  describe('cdk-nag AwsSolutions', () => {
    it('has no unacknowledged finding, error or warning', () => {
      expect(defaults.nagFindings).toEqual([]);
    });

    it('acknowledges exactly four findings, each on the one resource it concerns, with its reason', () => {
      expect(defaults.acknowledgements).toEqual([
        {
          path: 'Test/Poller/CapillaryCredentials',
          id: 'AwsSolutions-SMG4',
          reason: expect.stringMatching(/credentials Capillary issues; no rotation function/),
        },
        {
          path: 'Test/Poller/DeadLetterQueue',
          id: 'AwsSolutions-SQS3',
          reason: expect.stringMatching(/This queue is the dead-letter queue/),
        },
        {
          path: 'Test/Poller/WorkDeadLetterQueue',
          id: 'AwsSolutions-SQS3',
          reason: expect.stringMatching(/the work queue's dead-letter queue/),
        },
        {
          path: 'Test/Poller/IdentifierKey',
          id: 'AwsSolutions-SMG4',
          reason: expect.stringMatching(/A new key would make every stored identifier hash/),
        },
      ]);
    });
  });
});
