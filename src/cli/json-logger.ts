import type { Writable } from 'node:stream';
import type { Logger } from '../domain/ports.js';

const LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'] as const;
export type LogLevel = (typeof LEVELS)[number];

/**
 * One JSON object per line, the shape Powertools' Logger writes, so local runs read like Lambda logs.
 * Known secrets, in all their forms, are replaced wherever they appear in the line as written (so
 * their JSON-escaped forms too): a last line of defence, not the first.
 */
export function createJsonLogger(
  stream: Writable,
  level: LogLevel,
  redact: (text: string) => string = (text) => text,
  service = 'capillary-event-poller',
): Logger {
  const threshold = LEVELS.indexOf(level);
  const write = (at: LogLevel) => (message: string, attributes?: Record<string, unknown>) => {
    if (LEVELS.indexOf(at) < threshold) return;
    const line = JSON.stringify({
      level: at,
      message,
      service,
      timestamp: new Date().toISOString(),
      ...attributes,
    });
    stream.write(`${redact(line)}\n`);
  };
  return { debug: write('DEBUG'), info: write('INFO'), warn: write('WARN'), error: write('ERROR') };
}
