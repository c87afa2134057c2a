import { CHECK_STAGES, INSPECTION_STAGES } from './sql-check';

/**
 * The order of the guard's stages is part of its contract: which refusal a statement gets when
 * several rules apply, and that nothing is parsed before the size limits. Reordering them must
 * be a decision, made here.
 */
describe('the SQL guard stages', () => {
  it('checks in this order: options, size and lexical rules, transpile, inspection, LIMIT, second pass, same reading', () => {
    expect(CHECK_STAGES.map((s) => s.name)).toEqual([
      'options',
      'lexical',
      'transpile',
      'inspect',
      'row-limit',
      'recheck',
      'same-reading',
    ]);
  });

  it('inspects one text in this order: lexical rules, parse, one statement, tree depth, validate, AST rules, names', () => {
    expect(INSPECTION_STAGES.map((s) => s.name)).toEqual([
      'lexical',
      'parse',
      'single-statement',
      'tree-depth',
      'validate',
      'statement-rules',
      'names',
    ]);
  });

  it('names every stage once', () => {
    for (const stages of [CHECK_STAGES, INSPECTION_STAGES]) {
      const names = stages.map((s) => s.name);
      expect(new Set(names).size).toBe(names.length);
    }
  });
});
