import { fileURLToPath } from 'node:url';
import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { lambdaBundlingOptions } from '../lambda-bundling.js';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** What differs between the scheduler and the worker. */
export type PollerFunctionOptions = Pick<
  nodejs.NodejsFunctionProps,
  | 'description'
  | 'entry'
  | 'memorySize'
  | 'timeout'
  | 'environment'
  | 'reservedConcurrentExecutions'
  | 'retryAttempts'
  | 'maxEventAge'
> & {
  /** The role's description: what the function may do. */
  readonly roleDescription: string;
  readonly logRetention: logs.RetentionDays;
};

/** One of the two functions, with the role and log group that are its alone. */
export interface PollerFunction {
  readonly fn: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
}

/**
 * `<id>LogGroup`, `<id>Role` (its logs only, until the poller grants more) and the function `<id>`:
 * Node.js 24 on ARM64, bundled by esbuild, SDK v3 from the runtime. `scope` is the poller itself,
 * so all three keep their logical IDs.
 */
export function createPollerFunction(
  scope: Construct,
  id: string,
  options: PollerFunctionOptions,
): PollerFunction {
  const { roleDescription, logRetention, ...functionOptions } = options;
  const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
    retention: logRetention,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: roleDescription,
  });
  logGroup.grantWrite(role);
  const fn = new nodejs.NodejsFunction(scope, id, {
    // In the order the props were always given: the template's analytics metadata lists them so.
    description: functionOptions.description,
    entry: functionOptions.entry,
    role,
    logGroup,
    ...functionOptions,
    handler: 'handler',
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
    // The newest Node.js in this aws-cdk-lib; Graviton is cheaper for the same I/O-bound work.
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    // The one bundling definition, which `npm run bench -- bundle` measures.
    bundling: lambdaBundlingOptions(),
  });
  return { fn, role, logGroup };
}
