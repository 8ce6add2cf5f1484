import { describe, expect, it } from 'vitest';
import { grants, grantsAll, isScopePattern, parseScopeList, patternCovers, patternGrants, uncovered } from '../src/auth/scopes.ts';

describe('scope patterns', () => {
  it('accepts scopes, prefix wildcards and the global wildcard', () => {
    for (const p of ['math', 'notes:read', 'notes:*', 'a:b:c', 'a:b:*', '*', 'github-x:read_all']) expect(isScopePattern(p)).toBe(true);
  });

  it('rejects malformed patterns', () => {
    for (const p of ['', 'Math', 'notes:', ':read', 'notes*', 'notes:*:read', '**', 'no tes', 'notes::read', '*:read']) {
      expect(isScopePattern(p), p).toBe(false);
    }
  });

  it('grants exact scopes, children of a prefix wildcard, and everything for *', () => {
    expect(patternGrants('math', 'math')).toBe(true);
    expect(patternGrants('notes:*', 'notes:read')).toBe(true);
    expect(patternGrants('notes:*', 'notes:read:deep')).toBe(true);
    expect(patternGrants('*', 'anything:at:all')).toBe(true);
  });

  it('does not grant a sibling, a parent, or a look-alike prefix', () => {
    expect(patternGrants('math', 'mathx')).toBe(false);
    expect(patternGrants('notes:read', 'notes:write')).toBe(false);
    expect(patternGrants('notes:*', 'notes')).toBe(false);
    expect(patternGrants('notes:*', 'notesx:read')).toBe(false);
    expect(patternGrants('notes:read', 'notes:read:deep')).toBe(false);
  });

  it('needs every required scope, and an empty requirement is always met', () => {
    expect(grantsAll(['math'], [])).toBe(true);
    expect(grantsAll([], [])).toBe(true);
    expect(grantsAll(['notes:read'], ['notes:read', 'notes:write'])).toBe(false);
    expect(grantsAll(['notes:*'], ['notes:read', 'notes:write'])).toBe(true);
    expect(grants([], 'math')).toBe(false);
  });

  it('tells whether one pattern lies within another', () => {
    expect(patternCovers('*', '*')).toBe(true);
    expect(patternCovers('notes:*', '*')).toBe(false);
    expect(patternCovers('notes:*', 'notes:*')).toBe(true);
    expect(patternCovers('notes:*', 'notes:a:*')).toBe(true);
    expect(patternCovers('notes:a:*', 'notes:*')).toBe(false);
    expect(patternCovers('notes:read', 'notes:*')).toBe(false);
    expect(patternCovers('math', 'math')).toBe(true);
  });

  it('lists the key scopes its tenant does not allow', () => {
    expect(uncovered(['math', 'notes:*'], ['math', 'notes:read', 'notes:*'])).toEqual([]);
    expect(uncovered(['math'], ['math', 'github:read', '*'])).toEqual(['github:read', '*']);
    expect(uncovered(['*'], ['anything', 'x:*', '*'])).toEqual([]);
  });

  it('parses comma or space separated lists, dropping duplicates and reporting bad items', () => {
    expect(parseScopeList('math, notes:read,,math  notes:*')).toEqual({ scopes: ['math', 'notes:read', 'notes:*'], invalid: [] });
    expect(parseScopeList('math,Bad!')).toEqual({ scopes: ['math'], invalid: ['Bad!'] });
  });
});
