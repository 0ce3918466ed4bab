import { DomainError } from '@keyward/contracts';
import { MAX_ROW_BYTES, checkRow, checkTableName, rowAad, rowFilter } from './row-input';

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof DomainError ? `${error.status} ${error.code}` : 'not a DomainError';
  }
  return undefined;
}

describe('row input', () => {
  it('takes a JSON object with a string or integer id, kept as a string', () => {
    expect(checkRow({ id: 'a', x: 1 }).row).toEqual({ id: 'a', x: 1 });
    expect(checkRow({ id: 42 }).rowId).toBe('42');
    expect(checkRow({ x: 1 }, 'p1').row).toEqual({ x: 1, id: 'p1' });
  });

  it.each([
    ['null', null, '400 BAD_BODY_ERR'],
    ['an array', [1], '400 BAD_BODY_ERR'],
    ['a string', 'row', '400 BAD_BODY_ERR'],
    ['a row without id', { x: 1 }, '400 INVALID_FIELD_ERR'],
    ['a fractional id', { id: 1.5 }, '400 INVALID_FIELD_ERR'],
    ['an id with a slash', { id: 'a/b' }, '400 INVALID_FIELD_ERR'],
    ['an oversized row', { id: 'big', blob: 'x'.repeat(MAX_ROW_BYTES) }, '413 PAYLOAD_TOO_LARGE_ERR'],
  ])('refuses %s', (_what, body, expected) => {
    expect(codeOf(() => checkRow(body))).toBe(expected);
  });

  it('refuses an id that differs from the path', () => {
    expect(codeOf(() => checkRow({ id: 'b' }, 'a'))).toBe('400 INVALID_FIELD_ERR');
  });

  it('checks table names', () => {
    expect(codeOf(() => checkTableName('orders_2024'))).toBeUndefined();
    expect(codeOf(() => checkTableName('Orders'))).toBe('400 INVALID_FIELD_ERR');
    expect(codeOf(() => checkTableName('a'.repeat(64)))).toBe('400 INVALID_FIELD_ERR');
  });

  it('filters on top-level fields as text, with a bounded limit', () => {
    const filter = rowFilter({ city: 'London', vip: 'true', limit: '5' });
    expect(filter.limit).toBe(5);
    expect(filter.matches({ city: 'London', vip: true })).toBe(true);
    expect(filter.matches({ city: 'London', vip: false })).toBe(false);
    expect(filter.matches({ vip: true })).toBe(false);
    expect(codeOf(() => rowFilter({ limit: '0' }))).toBe('400 INVALID_QUERY_PARAM_ERR');
    expect(codeOf(() => rowFilter({ limit: '1001' }))).toBe('400 INVALID_QUERY_PARAM_ERR');
  });

  it('binds the AAD to cluster, table and row without ambiguity', () => {
    expect(rowAad('c', 'a-b', 'c')).not.toBe(rowAad('c', 'a', 'b-c'));
  });
});
