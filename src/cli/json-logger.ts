import type { Writable } from 'node:stream';
import type { Logger } from '../domain/ports.js';
import { redactSecrets } from '../domain/redaction.js';

const LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'] as const;
export type LogLevel = (typeof LEVELS)[number];

/**
 * One JSON object per line, the shape Powertools' Logger writes, so local runs read like Lambda logs.
 * Known secret values are replaced wherever they appear: a last line of defence, not the first.
 */
export function createJsonLogger(
  stream: Writable,
  level: LogLevel,
  secrets: readonly string[] = [],
  service = 'capillary-event-poller',
): Logger {
  const threshold = LEVELS.indexOf(level);
  const hidden = secrets.filter((secret) => secret.length >= 4);
  const write = (at: LogLevel) => (message: string, attributes?: Record<string, unknown>) => {
    if (LEVELS.indexOf(at) < threshold) return;
    const line = JSON.stringify({
      level: at,
      message,
      service,
      timestamp: new Date().toISOString(),
      ...attributes,
    });
    stream.write(`${redactSecrets(line, hidden)}\n`);
  };
  return { debug: write('DEBUG'), info: write('INFO'), warn: write('WARN'), error: write('ERROR') };
}
