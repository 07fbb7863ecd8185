// What the Lambda handlers may rely on: `loadSettings` without embedded fallbacks refuses to start
// without a Capillary URL, a table name and a bus, and this type says so.
import { loadSettings, type Settings } from '../config/settings.js';
import { ConfigError, ConfigErrors } from '../domain/errors.js';

/** Settings with nothing embedded: a real Capillary, a real table, EventBridge. */
export type LambdaSettings = Settings & {
  capillary: Settings['capillary'] & { baseUrl: URL };
  table: Settings['table'] & { endpoint: URL | undefined };
  events: Settings['events'] & { sink: 'eventbridge' };
};

/** Reads the settings as the Lambda needs them. Throws `ConfigErrors` naming what is missing. */
export function loadLambdaSettings(env: NodeJS.ProcessEnv): LambdaSettings {
  const settings = loadSettings(env, { allowEmbedded: false });
  const { capillary, table, events } = settings;
  const { baseUrl } = capillary;
  const { endpoint } = table;
  const { sink } = events;
  if (baseUrl === undefined || endpoint === 'embedded' || sink !== 'eventbridge') {
    // `allowEmbedded: false` has already refused each of these; the check narrows the type.
    const setting =
      baseUrl === undefined
        ? 'CAPILLARY_BASE_URL'
        : endpoint === 'embedded'
          ? 'TABLE_NAME'
          : 'EVENT_BUS_NAME';
    throw new ConfigErrors([new ConfigError(setting, 'is required here')]);
  }
  return {
    ...settings,
    capillary: { ...capillary, baseUrl },
    table: { ...table, endpoint },
    events: { ...events, sink },
  };
}
