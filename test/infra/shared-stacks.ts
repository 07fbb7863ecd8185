// The stacks the infra tests share, each synthesized once per run: global-setup.ts synthesizes
// them (cdk-nag registered, as app.ts does) before any test file starts and hands every file
// their templates. A file builds the same construct tree again, construction only and never
// synthesized, to reach resources through its constructs.
import { CfnResource, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, inject } from 'vitest';
import { runApp } from '../../infra/app.js';
import type { CapillaryEventPollerStack } from '../../infra/capillary-event-poller-stack.js';
import { buildEveryFeatureStack } from './every-feature-stack.js';
import {
  acknowledgements,
  BASE_URL,
  buildPollerStack,
  nagFindings,
  resourceIn,
  testApp,
} from './support.js';

/** How each shared stack is built: the same function for the synthesis and for every file. */
const SHARED_STACKS = {
  /** The stack the rooms' tests read: an ops email, everything else defaulted. */
  default: () =>
    buildPollerStack({
      poller: { capillaryBaseUrl: BASE_URL, opsEmails: ['oncall@example.com'] },
    }),
  /** Webhooks of every kind, an alert and onEvent rules (every-feature-stack.ts). */
  everyFeature: buildEveryFeatureStack,
} satisfies Record<string, () => CapillaryEventPollerStack>;

type SharedStackName = keyof typeof SHARED_STACKS;

/** What the synthesis of a shared stack leaves for the tests to read. */
interface SynthesizedOnce {
  /** The CloudFormation template, as JSON. */
  template: Record<string, unknown>;
  /** cdk-nag's unacknowledged findings in the synthesized tree (see support.ts). */
  nagFindings: string[];
  /** The acknowledged findings in the synthesized tree (see support.ts). */
  acknowledgements: ReturnType<typeof acknowledgements>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Each shared stack as test/infra/global-setup.ts synthesized it. */
    sharedStacks: Record<SharedStackName, SynthesizedOnce>;
    /** The template of the app's stack (appTemplate). */
    appTemplate: Record<string, unknown>;
  }
}

/** Synthesizes every shared stack: global-setup.ts calls this once per run. */
export function synthesizeSharedStacks(): Record<SharedStackName, SynthesizedOnce> {
  const synthesize = (name: SharedStackName): SynthesizedOnce => {
    const stack = SHARED_STACKS[name]();
    return {
      template: Template.fromStack(stack).toJSON(),
      nagFindings: nagFindings(stack),
      acknowledgements: acknowledgements(stack),
    };
  };
  return { default: synthesize('default'), everyFeature: synthesize('everyFeature') };
}

/**
 * Synthesizes the stack `cdk synth` builds from cdk.json alone, through app.ts as the CLI runs it,
 * without bundling: global-setup.ts calls this once per run.
 */
export function synthesizeAppTemplate(): Record<string, unknown> {
  const app = testApp();
  let stderr = '';
  if (runApp(app, { write: (text: string) => (stderr += text) }) !== 0) throw new Error(stderr);
  const stacks = app.synth().stacks;
  if (stacks.length !== 1) throw new Error(`the app synthesized ${stacks.length} stacks`);
  return (stacks[0] as (typeof stacks)[number]).template;
}

/** The template of the stack `cdk synth` builds from cdk.json alone (bundling aside). */
export function appTemplate(): Record<string, unknown> {
  return inject('appTemplate');
}

/** A shared stack's template alone, for a file that reaches no resource through a construct. */
export function sharedTemplate(name: SharedStackName): Template {
  return Template.fromJSON(inject('sharedStacks')[name].template);
}

interface ReadInFile extends Omit<SynthesizedOnce, 'template'> {
  stack: CapillaryEventPollerStack;
  template: Template;
}

/**
 * A shared stack as a test file reads it: its template from the run's one synthesis, and its
 * construct tree built again here (in the file's `beforeAll`) for the constructs' logical IDs.
 */
export class SharedPollerStack {
  private read: ReadInFile | undefined;

  constructor(name: SharedStackName) {
    beforeAll(() => {
      const synthesized = inject('sharedStacks')[name];
      const stack = SHARED_STACKS[name]();
      assertSameResources(stack, synthesized.template);
      this.read = { ...synthesized, stack, template: sharedTemplate(name) };
    });
  }

  private get synthesized(): ReadInFile {
    if (this.read === undefined) throw new Error('read the shared stack inside a test');
    return this.read;
  }

  /** The construct tree, built like the synthesized one (for tokens and logical IDs). */
  get stack(): CapillaryEventPollerStack {
    return this.synthesized.stack;
  }

  get poller(): CapillaryEventPollerStack['poller'] {
    return this.stack.poller;
  }

  get template(): Template {
    return this.synthesized.template;
  }

  /** cdk-nag's unacknowledged findings in the synthesized stack. */
  get nagFindings(): string[] {
    return this.synthesized.nagFindings;
  }

  /** Every acknowledged finding in the synthesized stack. */
  get acknowledgements(): SynthesizedOnce['acknowledgements'] {
    return this.synthesized.acknowledgements;
  }

  /** A token as the template writes it. */
  readonly ref = (value: unknown): unknown => this.stack.resolve(value);
  /** The template's resource behind a construct. */
  readonly resourceOf = (construct: IConstruct) => resourceIn(this.template, construct);
  /** The logical ID a token refers to. */
  readonly logicalId = (value: unknown): string => logicalIdOf(this.stack, value);
}

/** Fails when the tree built in the file and the synthesized template hold different resources. */
function assertSameResources(stack: Stack, template: Record<string, unknown>): void {
  const built = new Set(
    stack.node
      .findAll()
      .filter(CfnResource.isCfnResource)
      .map((resource) => stack.getLogicalId(resource)),
  );
  const synthesized = new Set(Object.keys(template.Resources as Record<string, unknown>));
  const differences = [
    ...[...built].filter((id) => !synthesized.has(id)).map((id) => `+${id}`),
    ...[...synthesized].filter((id) => !built.has(id)).map((id) => `-${id}`),
  ];
  if (differences.length > 0) {
    throw new Error(`the tree built here is not the one synthesized: ${differences.join(', ')}`);
  }
}

/** The logical ID a token of `stack` refers to (`Ref` or `Fn::GetAtt`). */
function logicalIdOf(stack: Stack, value: unknown): string {
  const resolved = stack.resolve(value) as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  const id = resolved.Ref ?? resolved['Fn::GetAtt']?.[0];
  if (id === undefined) throw new Error(`not a reference: ${JSON.stringify(resolved)}`);
  return id;
}
