import type { Dispatcher } from 'undici';
import dispatcherRequest from 'undici/lib/api/api-request.js';

/**
 * undici's top-level `request(url, options)` for an absolute URL and an explicit dispatcher,
 * without undici's index: the index loads all of undici (fetch, WebSocket, cache, mocks), which
 * doubles the Lambda bundle and its import time. Origin and path are split as undici does.
 */
export function request(
  url: URL,
  options: Omit<Dispatcher.RequestOptions, 'origin' | 'path'> & { dispatcher: Dispatcher },
): Promise<Dispatcher.ResponseData> {
  const { dispatcher, ...rest } = options;
  return dispatcherRequest.call(dispatcher, {
    ...rest,
    origin: url.origin,
    path: url.search ? `${url.pathname}${url.search}` : url.pathname,
  });
}
