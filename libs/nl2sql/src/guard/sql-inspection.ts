import type { SqlDialect } from '@sluice/connectors';
import type { Polyglot } from '@sluice/core';
import { polyglotDialect } from '@sluice/core';
import { denyOnThrow, GuardStage, runStages } from './guard-stage';
import { lexicalCheck } from './lexical-rules';
import { NameResolver } from './name-resolver';
import { PiiIndex, SchemaIndex } from './schema-index';
import { AstNode, astRules, isObject, Locator, locatorFor, statementKind, stripComments } from './sql-ast';
import type { GuardIssue, GuardLimits, GuardOptions } from './sql-guard.types';

const READ_ONLY_KINDS = new Set(['select', 'values', 'explain']);

export function parseIssue(dialect: SqlDialect, reason: string, line?: number, column?: number): GuardIssue {
  const text = reason.replace(/^(Parse|Tokenization) error at line \d+, column \d+:\s*/, '');
  const where = line ? ` at line ${line}, column ${column ?? 1}` : '';
  return { code: 'PARSE_ERROR', message: `The SQL does not parse as ${dialect}${where}: ${text}`, line, column };
}

/** The deepest nesting of expression nodes under `root`, walked without recursion. */
function treeDepth(p: Polyglot, root: unknown, limit: number): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[root, 0]];
  while (stack.length) {
    const [value, depth] = stack.pop()!;
    if (Array.isArray(value)) {
      for (const v of value) if (v && typeof v === 'object') stack.push([v, depth]);
    } else if (isObject(value)) {
      const own = p.ast.isExpressionValue(value) ? depth + 1 : depth;
      deepest = Math.max(deepest, own);
      if (deepest > limit) return deepest;
      for (const child of Object.values(value)) if (child && typeof child === 'object') stack.push([child, own]);
    }
  }
  return deepest;
}

/** What one reading of one text in one dialect is, and what is wrong with it. */
export interface Inspection {
  errors: GuardIssue[];
  warnings: GuardIssue[];
  stmt: AstNode | null;
  kind: string;
  readOnly: boolean;
  tables: string[];
  tooComplex?: GuardIssue;
}

/** An inspection in progress: its input, and what the stages found so far. */
interface InspectionState extends Inspection {
  readonly p: Polyglot;
  readonly text: string;
  readonly options: GuardOptions;
  readonly limits: GuardLimits;
  /** True when the lexical rules already read this very text. */
  readonly lexed: boolean;
  statements: AstNode[];
  locate?: Locator;
}

const dialectOf = (s: InspectionState) => polyglotDialect(s.options.dialect);
const mutations = (s: InspectionState) => s.options.allowMutations === true;

/**
 * The rules over one text, in order. Each stage stops the inspection when nothing after it
 * could be read; the AST stages refuse with GUARD_ERROR when the tree cannot be walked.
 */
export const INSPECTION_STAGES: readonly GuardStage<InspectionState>[] = [
  {
    name: 'lexical',
    run: (s) => {
      if (s.lexed) return 'next';
      const lexical = lexicalCheck(s.text, s.options.dialect, mutations(s), s.limits);
      if (lexical.tooComplex) return ((s.tooComplex = lexical.tooComplex), 'stop');
      s.errors.push(...lexical.issues);
      return lexical.complete ? 'next' : 'stop';
    },
  },
  {
    name: 'parse',
    run: (s) => {
      const parsed = s.p.parse(s.text, dialectOf(s));
      if (parsed.success) return ((s.statements = (parsed.ast ?? []) as AstNode[]), 'next');
      const reason = parsed.error ?? 'unknown parser error';
      s.errors.push(parseIssue(s.options.dialect, reason, parsed.errorLine, parsed.errorColumn));
      return 'stop';
    },
  },
  {
    name: 'single-statement',
    run: (s) => {
      const count = s.statements.length;
      if (count === 1) return 'next';
      s.errors.push(
        count
          ? { code: 'MULTIPLE_STATEMENTS', message: `Only one statement may run; this SQL holds ${count}` }
          : { code: 'SQL_EMPTY', message: 'The SQL holds no statement' },
      );
      return 'stop';
    },
  },
  {
    name: 'tree-depth',
    run: (s) => {
      const max = s.limits.maxTreeDepth;
      if (treeDepth(s.p, s.statements[0], max) <= max) return 'next';
      const message = `The parsed SQL nests more than ${max} levels deep; the limit is ${max} (maxTreeDepth)`;
      s.tooComplex = { code: 'SQL_TOO_COMPLEX', message };
      return 'stop';
    },
  },
  {
    // parse() is lenient (`SELEC x` reads as an alias); validate() is not.
    name: 'validate',
    run: (s) => {
      for (const e of s.p.validate(s.text, dialectOf(s)).errors) {
        if (e.severity === 'error') s.errors.push(parseIssue(s.options.dialect, e.message, e.line, e.column));
      }
      s.stmt = s.statements[0];
      return 'next';
    },
  },
  denyOnThrow<InspectionState>({
    // Statement kind, every node against the allow-lists (functions, catalogs), writes, INTO, locks.
    name: 'statement-rules',
    run: (s) => {
      const stmt = s.stmt!;
      stripComments(stmt);
      s.kind = statementKind(stmt);
      s.locate = locatorFor(s.text);
      const verdict = astRules(s.p, stmt, s.options.dialect, mutations(s), s.locate);
      s.errors.push(...verdict.issues);
      s.readOnly = READ_ONLY_KINDS.has(s.kind) && !verdict.writes;
      return 'next';
    },
  }),
  denyOnThrow<InspectionState>({
    // Tables and columns against the schema, and columns withheld from the caller.
    name: 'names',
    run: (s) => {
      const { dialect, schema, piiColumns } = s.options;
      const index = schema ? new SchemaIndex(schema.tables, dialect) : null;
      const resolver = new NameResolver(s.p, dialect, index, new PiiIndex(piiColumns ?? []), s.locate!);
      const names = resolver.resolve(s.stmt!);
      s.errors.push(...names.errors);
      s.warnings.push(...names.warnings);
      s.tables = names.tables;
      return 'next';
    },
  }),
];

/**
 * Every rule over one text in the connector's dialect (INSPECTION_STAGES in order). Rewrites
 * the AST in place (comments, stars over pii tables).
 */
export function inspect(
  p: Polyglot,
  text: string,
  options: GuardOptions,
  limits: GuardLimits,
  lexed: boolean,
): Inspection {
  const state: InspectionState = {
    p,
    text,
    options,
    limits,
    lexed,
    statements: [],
    errors: [],
    warnings: [],
    stmt: null,
    kind: 'unknown',
    readOnly: false,
    tables: [],
  };
  runStages(INSPECTION_STAGES, state);
  const { errors, warnings, stmt, kind, readOnly, tables, tooComplex } = state;
  return { errors, warnings, stmt, kind, readOnly, tables, ...(tooComplex ? { tooComplex } : {}) };
}
