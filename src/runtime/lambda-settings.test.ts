import { describe, expect, it } from 'vitest';
import { ConfigErrors } from '../domain/errors.js';
import { loadLambdaSettings } from './lambda-settings.js';

const LAMBDA_ENV = {
  CAPILLARY_BASE_URL: 'https://eu.api.capillarytech.com',
  CAPILLARY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:capillary-AbCdEf',
  TABLE_NAME: 'capillary-cursors',
  EVENT_BUS_NAME: 'capillary-bus',
  AWS_REGION: 'us-east-1',
};

describe('loadLambdaSettings', () => {
  it('gives the Lambda a Capillary URL, a real table and EventBridge', () => {
    const settings = loadLambdaSettings(LAMBDA_ENV);
    expect(settings.capillary.baseUrl.href).toBe('https://eu.api.capillarytech.com/');
    expect(settings.table).toEqual({ name: 'capillary-cursors', endpoint: undefined });
    expect(settings.events.sink).toBe('eventbridge');
  });

  it('refuses embedded fallbacks, naming every missing setting', () => {
    let thrown: unknown;
    try {
      loadLambdaSettings({ AWS_REGION: 'us-east-1' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigErrors);
    expect((thrown as ConfigErrors).problems.map((problem) => problem.setting).sort()).toEqual([
      'CAPILLARY_BASE_URL',
      'EVENT_BUS_NAME',
      'TABLE_NAME',
    ]);
  });
});
