// The delivery room (infra/delivery/): the bus, its archive, the dead-letter queue and the event
// contract, in the default stack.
import { readFileSync } from 'node:fs';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { eventDetailJsonSchema } from '../../../src/domain/publish/event-detail-json-schema.js';
import { SharedPollerStack } from '../shared-stacks.js';
import { denyPlainHttp, onlyResource } from '../support.js';

const defaults = new SharedPollerStack('default');
const { ref, resourceOf } = defaults;

describe('delivery in the default stack', () => {
  it('creates a custom bus and archives this poller’s events for 30 days', () => {
    defaults.template.hasResourceProperties('AWS::Events::EventBus', { Name: Match.anyValue() });
    defaults.template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: ref(defaults.poller.eventBus.eventBusArn),
      EventPattern: { source: ['capillary.events'] },
      RetentionDays: 30,
    });
  });

  it('parks unpublishable events on an encrypted, SSL-only queue that keeps them 14 days', () => {
    const queue = resourceOf(defaults.poller.deadLetterQueue);
    expect(queue.Properties).toEqual({
      MessageRetentionPeriod: 1_209_600,
      MaximumMessageSize: 1_048_576,
      SqsManagedSseEnabled: true,
    });
    defaults.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: [denyPlainHttp({ 'Fn::GetAtt': [queue.id, 'Arn'] })],
      },
    });
  });

  it('registers the detail JSON Schema (draft-04) generated from the zod schema', () => {
    const schema = onlyResource(defaults.template, 'AWS::EventSchemas::Schema');
    expect(schema.Properties).toMatchObject({
      Type: 'JSONSchemaDraft4',
      SchemaName: 'capillary.events@CapillaryEventDetail',
      RegistryName: ref(defaults.poller.schemaRegistry?.attrRegistryName),
    });
    const content = JSON.parse(schema.Properties.Content as string);
    expect(content).toEqual(eventDetailJsonSchema());
    expect(content.$schema).toBe('http://json-schema.org/draft-04/schema#');
    const documented = JSON.parse(
      readFileSync(new URL('../../../docs/event-detail.schema.json', import.meta.url), 'utf8'),
    );
    expect(content).toEqual(documented);
  });
});
