import { DomainError } from '@keyward/contracts';

/**
 * The query of `GET /keys` and `HEAD /keys` as the official clients send it (KEY-PROTECT-API.md §2,
 * Key Protect's "Retrieving a list of keys"): limit/offset, `state=1,5`, `extractable`, `sort` (a
 * comma-separated list, `-` for descending), `search` with its `not:`/`escape:`/`exact:`/`alias:`/
 * `name:` options, and `filter` (`creationDate=gte:"…" state=1,2 extractable=true`). Every malformed
 * value is 400 INVALID_QUERY_PARAM_ERR, never a 5xx.
 */
export type KeyListParams = Record<string, string | string[] | undefined>;

export const KEY_SORT_FIELDS = [
  'id',
  'state',
  'extractable',
  'imported',
  'creationDate',
  'lastUpdateDate',
  'lastRotateDate',
  'deletionDate',
  'expirationDate',
  'name',
] as const;
export type KeySortField = (typeof KEY_SORT_FIELDS)[number];

export const KEY_FILTER_DATES = ['creationDate', 'expirationDate', 'lastRotateDate', 'deletionDate', 'lastUpdateDate'] as const;
export type KeyFilterDate = (typeof KEY_FILTER_DATES)[number];

/** A date condition of `filter`: a comparison, an exact instant, or `none` (no such date). */
export type DateCondition = { op: 'gt' | 'gte' | 'lt' | 'lte' | 'eq'; at: Date } | { op: 'none' };

export interface KeySearch {
  term: string;
  not: boolean;
  exact: boolean;
  /** Key names and/or aliases; with neither option given, both (and key ids, as the console does). */
  scopes: { name: boolean; alias: boolean; id: boolean };
}

export interface KeyListQuery {
  instanceGuid: string;
  states: number[];
  extractable?: boolean;
  search?: KeySearch;
  dates: { field: KeyFilterDate; condition: DateCondition }[];
  /** Only keys in this ring (X-Kms-Key-Ring on list and HEAD). */
  keyRingId?: string;
  limit: number;
  offset: number;
  sort: { field: KeySortField; direction: 'asc' | 'desc' }[];
}

/** Without `state`, every state but destroyed (KEY-PROTECT-API.md §10). */
const LISTABLE_DEFAULT = [0, 1, 2, 3];
const DEFAULT_SORT: KeyListQuery['sort'] = [{ field: 'creationDate', direction: 'asc' }];

export function queryError(name: string, message: string): DomainError {
  return new DomainError('INVALID_QUERY_PARAM_ERR', message, { target: { type: 'query', name } });
}

/** One value of a query parameter; the same parameter given twice is refused (it would be ambiguous). */
export function singleParam(params: KeyListParams, name: string): string | undefined {
  const value = params[name];
  if (Array.isArray(value)) throw queryError(name, `${name} may be given only once`);
  return value;
}

export function intParam(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw queryError(name, `${name} must be a whole number from ${min} to ${max}`);
  return Number(value);
}

export function parseListQuery(instanceGuid: string, params: KeyListParams): KeyListQuery {
  const limit = intParam(singleParam(params, 'limit'), 'limit', 200, 1, 5000);
  const offset = intParam(singleParam(params, 'offset'), 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
  // `state=1&state=5` means the same as `state=1,5`.
  const stateParam = params['state'];
  const stateText = Array.isArray(stateParam) ? stateParam.join(',') : stateParam;
  let states = stateText ? parseStates(stateText, 'state') : LISTABLE_DEFAULT;
  let extractable = parseBoolean(singleParam(params, 'extractable'), 'extractable');
  const sort = parseSort(singleParam(params, 'sort'));
  const search = parseSearch(singleParam(params, 'search'));
  const filter = parseFilter(singleParam(params, 'filter'));
  if (filter.states) states = states.filter((state) => filter.states?.includes(state));
  if (filter.extractable !== undefined) {
    // Both given and different: nothing can match.
    if (extractable !== undefined && extractable !== filter.extractable) states = [];
    extractable = filter.extractable;
  }
  return {
    instanceGuid,
    states,
    ...(extractable === undefined ? {} : { extractable }),
    ...(search ? { search } : {}),
    dates: filter.dates,
    limit,
    offset,
    sort,
  };
}

/** HEAD /keys takes the list's `state` and `extractable`. */
export function parseCountQuery(params: KeyListParams): { states: number[]; extractable?: boolean } {
  const query = parseListQuery('', { state: params['state'], extractable: params['extractable'] });
  return { states: query.states, ...(query.extractable === undefined ? {} : { extractable: query.extractable }) };
}

function parseStates(text: string, name: string): number[] {
  const parts = text.replace(/^\[|\]$/g, '').split(',').map((part) => part.trim());
  if (parts.some((part) => !/^[0-5]$/.test(part))) throw queryError(name, `${name} must be a comma-separated list of states from 0 to 5`);
  return [...new Set(parts.map(Number))];
}

function parseBoolean(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') throw queryError(name, `${name} must be true or false`);
  return value === 'true';
}

function parseSort(value: string | undefined): KeyListQuery['sort'] {
  if (!value) return DEFAULT_SORT;
  return value.split(',').map((term) => {
    const trimmed = term.trim();
    const field = trimmed.replace(/^[-+]/, '');
    if (!(KEY_SORT_FIELDS as readonly string[]).includes(field)) {
      throw queryError('sort', `sort must list fields of ${KEY_SORT_FIELDS.join(', ')} (each optionally prefixed with -)`);
    }
    return { field: field as KeySortField, direction: trimmed.startsWith('-') ? 'desc' : 'asc' };
  });
}

const SEARCH_OPTION = /^(not|escape|exact|alias|name):/;

function parseSearch(value: string | undefined): KeySearch | undefined {
  if (value === undefined) return undefined;
  // The Go client appends a comma to every search (`fmt.Sprint(search, ",")` in listkeys.go).
  let text = value.endsWith(',') ? value.slice(0, -1) : value;
  let not = false;
  let exact = false;
  const scopes = { name: false, alias: false, id: false };
  for (let option = SEARCH_OPTION.exec(text); option; option = SEARCH_OPTION.exec(text)) {
    text = text.slice(option[0].length);
    if (option[1] === 'escape') break;
    if (option[1] === 'not') not = true;
    else if (option[1] === 'exact') exact = true;
    else scopes[option[1] as 'alias' | 'name'] = true;
  }
  if (text.length > 100) throw queryError('search', 'search may have at most 100 characters');
  // Postgres cannot compare text with NUL in it.
  if (text.includes('\u0000')) throw queryError('search', 'search may not contain NUL characters');
  if (text === '') return undefined;
  const scoped = scopes.name || scopes.alias;
  return { term: text, not, exact, scopes: scoped ? scopes : { name: true, alias: true, id: true } };
}

interface ParsedFilter {
  states?: number[];
  extractable?: boolean;
  dates: KeyListQuery['dates'];
}

const FILTER_TERM = /^(\w+)=(\S+)$/;
const DATE_CONDITION = /(?:(gt|gte|lt|lte):)?"([^"]+)"/;

/** `filter`: space-separated `field=value` terms, all of which must hold. */
function parseFilter(value: string | undefined): ParsedFilter {
  const parsed: ParsedFilter = { dates: [] };
  if (!value?.trim()) return parsed;
  for (const term of value.trim().split(/\s+/)) {
    const match = FILTER_TERM.exec(term);
    if (!match) throw queryError('filter', `filter terms are field=value, separated by spaces ("${term.slice(0, 40)}" is not)`);
    const [, field, condition] = match as unknown as [string, string, string];
    if (field === 'state') parsed.states = parseStates(condition, 'filter');
    else if (field === 'extractable') parsed.extractable = parseBoolean(condition, 'filter');
    else if ((KEY_FILTER_DATES as readonly string[]).includes(field)) {
      for (const parsedCondition of parseDateConditions(condition)) parsed.dates.push({ field: field as KeyFilterDate, condition: parsedCondition });
    }
    else throw queryError('filter', `filter fields are state, extractable and ${KEY_FILTER_DATES.join(', ')}`);
  }
  return parsed;
}

/** `none`, `"<date>"`, or comparisons, several of them run together for a range (`gte:"a"lt:"b"`, as the Go client builds it). */
function parseDateConditions(text: string): DateCondition[] {
  if (text === 'none') return [{ op: 'none' }];
  const conditions: DateCondition[] = [];
  const invalid = () => queryError('filter', 'a date filter is none, "<RFC 3339>" or gt:/gte:/lt:/lte: followed by "<RFC 3339>"');
  const pattern = new RegExp(DATE_CONDITION.source, 'y');
  while (pattern.lastIndex < text.length) {
    const match = pattern.exec(text);
    const at = match ? new Date(match[2] as string) : undefined;
    // RFC 3339 years have four digits (Postgres cannot compare dates before 4713 BC).
    if (!match || !at || Number.isNaN(at.getTime()) || at.getUTCFullYear() < 1 || at.getUTCFullYear() > 9999) throw invalid();
    conditions.push({ op: (match[1] as 'gt' | 'gte' | 'lt' | 'lte' | undefined) ?? 'eq', at });
  }
  if (conditions.length === 0) throw invalid();
  return conditions;
}
