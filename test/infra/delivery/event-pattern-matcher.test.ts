import { describe, expect, it } from 'vitest';
import { guardAgainstReplay } from '../../../infra/delivery/replay-guard.js';
import { matchesEventPattern } from '../../support/event-pattern-matcher.js';

/** The field EventBridge adds to every event it replays from an archive. */
const REPLAY_NAME_FIELD = 'replay-name';

// The matcher's own cases, from EventBridge's documented matching rules, so a replay-guard test
// that passes does so because the pattern is right, not because the matcher is lenient.
const event = {
  source: 'capillary.events',
  'detail-type': 'Purchase',
  time: '2024-05-01T10:00:00Z',
  resources: ['arn:aws:x:1', 'arn:aws:x:2'],
  detail: { customerId: '123', amount: 250, store: { code: 'S1' }, tags: ['a', 'b'], note: null },
};

describe('local EventBridge event-pattern matcher', () => {
  it.each<[string, Record<string, unknown>, boolean]>([
    ['exact strings (OR within a field)', { source: ['x', 'capillary.events'] }, true],
    [
      'every named field must match (AND)',
      { source: ['capillary.events'], 'detail-type': ['Return'] },
      false,
    ],
    ['unnamed fields are ignored', { 'detail-type': ['Purchase'] }, true],
    ['nested objects', { detail: { store: { code: ['S1'] } } }, true],
    ['a missing field does not match a literal', { detail: { missing: ['x'] } }, false],
    ['numbers match numerically', { detail: { amount: [250] } }, true],
    ['a string never equals a number', { detail: { customerId: [123] } }, false],
    ['null matches null', { detail: { note: [null] } }, true],
    ['an event array matches when any element does', { resources: ['arn:aws:x:2'] }, true],
    ['prefix', { source: [{ prefix: 'capillary.' }] }, true],
    ['suffix', { source: [{ suffix: '.other' }] }, false],
    ['anything-but a list', { 'detail-type': [{ 'anything-but': ['Return', 'Refund'] }] }, true],
    ['anything-but the value itself', { 'detail-type': [{ 'anything-but': 'Purchase' }] }, false],
    ['anything-but a prefix', { source: [{ 'anything-but': { prefix: 'capillary' } }] }, false],
    ['numeric range', { detail: { amount: [{ numeric: ['>=', 100, '<', 300] }] } }, true],
    ['numeric out of range', { detail: { amount: [{ numeric: ['>', 250] }] } }, false],
    ['numeric on a string', { detail: { customerId: [{ numeric: ['>', 0] }] } }, false],
    ['exists: false on an absent field', { 'replay-name': [{ exists: false }] }, true],
    ['exists: false on a present field', { source: [{ exists: false }] }, false],
    ['exists: true on a present leaf', { detail: { amount: [{ exists: true }] } }, true],
    ['exists: true on an absent field', { 'replay-name': [{ exists: true }] }, false],
    ['exists only applies to leaves', { detail: { store: [{ exists: true }] } }, false],
  ])('%s', (_, pattern, expected) => {
    expect(matchesEventPattern(pattern, event)).toBe(expected);
  });

  it('refuses operators it does not implement rather than guessing', () => {
    expect(() => matchesEventPattern({ source: [{ wildcard: 'capillary.*' }] }, event)).toThrow(
      'operator "wildcard" is not implemented by this matcher',
    );
  });
});

describe('guardAgainstReplay', () => {
  const pattern = { source: ['capillary.events'], detailType: ['Purchase'] };

  it('adds "replay-name": [{ "exists": false }] at the top level by default', () => {
    expect(guardAgainstReplay(pattern, undefined)).toEqual({
      ...pattern,
      [REPLAY_NAME_FIELD]: [{ exists: false }],
    });
    expect(guardAgainstReplay(pattern, false)).toEqual(guardAgainstReplay(pattern, undefined));
  });

  it('leaves the pattern alone with onReplay: true', () => {
    expect(guardAgainstReplay(pattern, true)).toBe(pattern);
  });

  it('stops a replayed copy of an event the unguarded pattern matches', () => {
    const guarded = { source: ['capillary.events'], ...guardAgainstReplay({}, undefined) };
    expect(matchesEventPattern(guarded, event)).toBe(true);
    expect(matchesEventPattern(guarded, { ...event, 'replay-name': 'backfill-1' })).toBe(false);
  });
});
