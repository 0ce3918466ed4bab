import { DomainError } from '@keyward/contracts';
import { parseCountQuery, parseListQuery } from './key-list-query';

const codeOf = (run: () => unknown) => {
  try {
    run();
    return 'no error';
  } catch (error) {
    return error instanceof DomainError ? `${error.code} ${error.target?.name ?? ''}`.trim() : 'not a DomainError';
  }
};

describe('the GET /keys query', () => {
  it('defaults to states 0–3, 200 keys, oldest first', () => {
    expect(parseListQuery('i', {})).toEqual({ instanceGuid: 'i', states: [0, 1, 2, 3], dates: [], limit: 200, offset: 0, sort: [{ field: 'creationDate', direction: 'asc' }] });
  });

  it('reads state lists written as 1,5, [1,5] or repeated', () => {
    expect(parseListQuery('i', { state: '1,5' }).states).toEqual([1, 5]);
    expect(parseListQuery('i', { state: '[1,5]' }).states).toEqual([1, 5]);
    expect(parseListQuery('i', { state: ['1', '5'] }).states).toEqual([1, 5]);
  });

  it('reads sort lists', () => {
    expect(parseListQuery('i', { sort: 'state,-creationDate,lastRotateDate' }).sort).toEqual([
      { field: 'state', direction: 'asc' },
      { field: 'creationDate', direction: 'desc' },
      { field: 'lastRotateDate', direction: 'asc' },
    ]);
  });

  it('reads search options left to right until escape:, and drops the Go client’s trailing comma', () => {
    expect(parseListQuery('i', { search: 'name:exact:k1,' }).search).toEqual({ term: 'k1', not: false, exact: true, scopes: { name: true, alias: false, id: false } });
    expect(parseListQuery('i', { search: 'not:escape:exact:k1' }).search).toEqual({ term: 'exact:k1', not: true, exact: false, scopes: { name: true, alias: true, id: true } });
    expect(parseListQuery('i', { search: 'exact:' }).search).toBeUndefined();
  });

  it('reads filter terms as the Go client’s FilterQueryBuilder writes them', () => {
    const query = parseListQuery('i', { state: '1,2,5', filter: ' creationDate=gte:"2024-01-01T00:00:00.5Z"lt:"2024-02-01T00:00:00+01:00" state=2,5 lastRotateDate=none' });
    expect(query.states).toEqual([2, 5]);
    expect(query.dates).toEqual([
      { field: 'creationDate', condition: { op: 'gte', at: new Date('2024-01-01T00:00:00.500Z') } },
      { field: 'creationDate', condition: { op: 'lt', at: new Date('2024-01-31T23:00:00.000Z') } },
      { field: 'lastRotateDate', condition: { op: 'none' } },
    ]);
    expect(parseListQuery('i', { extractable: 'true', filter: 'extractable=false' }).states).toEqual([]);
  });

  it('refuses malformed and repeated parameters with 400 INVALID_QUERY_PARAM_ERR naming them', () => {
    const cases: [Record<string, string | string[]>, string][] = [
      [{ limit: '0' }, 'limit'],
      [{ limit: ['1', '2'] }, 'limit'],
      [{ sort: ['id', 'name'] }, 'sort'],
      [{ sort: 'payload' }, 'sort'],
      [{ state: '1,,5' }, 'state'],
      [{ extractable: 'yes' }, 'extractable'],
      [{ search: 'x'.repeat(101) }, 'search'],
      [{ filter: 'creationDate=gt:2024-01-01' }, 'filter'],
      [{ filter: 'creationDate="2024-01-01"junk' }, 'filter'],
      [{ filter: 'name=foo' }, 'filter'],
      [{ filter: 'creationDate=gt:"-100000-01-01T00:00:00Z"' }, 'filter'],
    ];
    for (const [params, name] of cases) expect({ params, error: codeOf(() => parseListQuery('i', params)) }).toEqual({ params, error: `INVALID_QUERY_PARAM_ERR ${name}` });
  });

  it('HEAD counts by state and extractable only', () => {
    expect(parseCountQuery({ state: '5', extractable: 'false', sort: 'bogus', filter: 'bogus' })).toEqual({ states: [5], extractable: false });
  });
});
