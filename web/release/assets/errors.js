// What the page says when a call fails.

import { S } from './strings.js';

// The text for a failed call: by the API's code, else its own message.
export function errorText(e) {
  const known = S.errors[e.code];
  if (e.code === 'locked_out' || e.code === 'rate_limited') return known(S.duration(e.retryAfter || 60));
  if (e.code === 'invalid') return known(e.message);
  if (typeof known === 'string') return known;
  if (e.message) return e.message;
  return S.errors.server(e.status);
}
