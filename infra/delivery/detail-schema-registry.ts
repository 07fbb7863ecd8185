import * as eventschemas from 'aws-cdk-lib/aws-eventschemas';
import type { Construct } from 'constructs';
import { eventDetailJsonSchema } from '../../src/domain/publish/event-detail-json-schema.js';

/** The schema's name in the registry: `<source>@<title>`, as EventBridge names discovered schemas. */
const SCHEMA_TITLE = 'CapillaryEventDetail';

/** The event contract: the detail JSON Schema in a registry of its own. */
export class DetailSchemaRegistry {
  public readonly registry: eventschemas.CfnRegistry;
  public readonly schema: eventschemas.CfnSchema;

  /** `scope` is the poller itself, so the registry and schema keep their logical IDs. */
  constructor(scope: Construct, eventSource: string) {
    this.registry = new eventschemas.CfnRegistry(scope, 'SchemaRegistry', {
      description: `Schemas of the events capillary-event-poller puts on its bus (${eventSource})`,
    });
    this.schema = new eventschemas.CfnSchema(scope, 'DetailSchema', {
      registryName: this.registry.attrRegistryName,
      schemaName: `${eventSource}@${SCHEMA_TITLE}`,
      type: 'JSONSchemaDraft4',
      content: JSON.stringify(eventDetailJsonSchema()),
      description:
        'The detail of every entry the poller puts on its bus; detail-type is detail.eventName',
    });
  }
}
