import { describe, expect, it } from 'vitest';
import { eventLogUrl } from './event-log-request.js';

const base = new URL('https://eu.api.capillarytech.com/prefix/');
const query = { fromMs: 1_758_171_830_945, toMs: 1_758_171_890_001, limit: 100 };

describe('the event log URL', () => {
  it('writes epoch ms by default, after the base path, every value encoded', () => {
    const url = eventLogUrl(
      base,
      '/v2/events/logs',
      { ...query, eventName: 'Cart & Co' },
      'epoch-ms',
    );
    expect(url.href).toBe(
      'https://eu.api.capillarytech.com/prefix/v2/events/logs?event_name=Cart%20%26%20Co&from_date=1758171830945&to_date=1758171890001&limit=100',
    );
  });

  it('widens a slice to what a coarser format can say', () => {
    const at = (format: Parameters<typeof eventLogUrl>[3]) => {
      const params = eventLogUrl(base, '/v2/events/logs?org=1', query, format).searchParams;
      return [params.get('org'), params.get('from_date'), params.get('to_date')];
    };
    expect(at('epoch-seconds')).toEqual(['1', '1758171830', '1758171891']);
    expect(at('iso')).toEqual(['1', '2025-09-18T05:03:50.945Z', '2025-09-18T05:04:50.001Z']);
    expect(at('datetime')).toEqual(['1', '2025-09-18 05:03:50', '2025-09-18 05:04:51']);
  });
});
