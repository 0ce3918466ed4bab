import { currentVersionId, stateChangeEvent } from './key-event-outbox';

describe('stateChangeEvent', () => {
  it.each([
    [1, 2, 'disabled'],
    [2, 1, 'enabled'],
    [5, 1, 'restored'],
    [1, 5, 'deleted'],
    [2, 5, 'deleted'],
    [3, 5, 'deleted'],
    [1, 3, 'expired'],
  ])('%i → %i is %s', (from, to, type) => {
    expect(stateChangeEvent(from, to)).toBe(type);
  });

  it('reports nothing when the state does not change (a ring move, a dual-auth mark)', () => {
    for (const state of [0, 1, 2, 3, 5]) expect(stateChangeEvent(state, state)).toBeUndefined();
  });
});

describe('currentVersionId', () => {
  it('is the id of the current version, whatever the order of versions', () => {
    const versions = [
      { id: 'v1', version: 1 },
      { id: 'v3', version: 3 },
      { id: 'v2', version: 2 },
    ];
    expect(currentVersionId({ currentVersion: 2, versions })).toBe('v2');
    expect(currentVersionId({ currentVersion: 9, versions })).toBe('v1');
  });
});
