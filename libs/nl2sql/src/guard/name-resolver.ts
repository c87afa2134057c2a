import type { SqlDialect, TableInfo, Polyglot } from '@sluice/core';
import { familyOf, pseudoColumnsOf } from '../sql-dialects';
import {
  AstData,
  AstNode,
  identName,
  isObject,
  nodeData,
  nodeType,
  Locator,
  QUERY_TYPES,
  WRITE_TYPES,
} from './sql-ast';
import {
  describeWithheld,
  expandStar,
  findRelation,
  makeRelation,
  noOutput,
  outputOf,
  QueryOutput,
  Relation,
  relationsInScope,
  Scope,
  SELECT_HANDLED,
  visibleColumns,
} from './relation-scope';
import { listNames, PiiIndex, SchemaIndex } from './schema-index';
import type { GuardIssue } from './sql-guard.types';

export interface NameVerdict {
  errors: GuardIssue[];
  warnings: GuardIssue[];
  tables: string[];
}

/**
 * Name resolution over the parsed statement, scope by scope: tables (CTE names and aliases are
 * not tables), columns against the tables in scope (correlated subqueries see outer scopes),
 * withheld (pii) columns wherever they are referenced, and `*` over a table with withheld
 * columns spelled out without them. Rewrites the AST in place.
 */
export class NameResolver {
  private readonly errors: GuardIssue[] = [];
  private readonly warnings: GuardIssue[] = [];
  private readonly tables: string[] = [];

  constructor(
    private readonly p: Polyglot,
    private readonly dialect: SqlDialect,
    private readonly schema: SchemaIndex | null,
    private readonly pii: PiiIndex,
    private readonly locate: Locator,
  ) {}

  resolve(stmt: AstNode): NameVerdict {
    const type = nodeType(stmt);
    const data = nodeData(stmt);
    if (type === 'describe' && isObject(data.target)) this.query(data.target, null, new Map());
    else if (QUERY_TYPES.has(type) || type === 'subquery' || type === 'paren' || WRITE_TYPES.has(type)) {
      this.query(stmt, null, new Map());
    }
    return { errors: this.errors, warnings: this.warnings, tables: [...new Set(this.tables)] };
  }

  private error(code: string, message: string, node: unknown): void {
    if (!this.errors.some((e) => e.message === message)) this.errors.push({ code, message, ...this.locate(node) });
  }

  private query(node: AstNode, outer: Scope | null, ctes: Map<string, Relation>): QueryOutput {
    const type = nodeType(node);
    const data = nodeData(node);
    if (type === 'select') return this.select(data, outer, ctes);
    if (type === 'subquery' || type === 'paren') {
      return isObject(data.this) ? this.query(data.this, outer, ctes) : noOutput();
    }
    const visible = isObject(data.with) ? this.withClause(data.with, outer, ctes) : ctes;
    if (type === 'union' || type === 'intersect' || type === 'except') {
      const left = isObject(data.left) ? this.query(data.left, outer, visible) : null;
      const right = isObject(data.right) ? this.query(data.right, outer, visible) : null;
      const withheld = new Set([...(left?.withheld ?? []), ...(right?.withheld ?? [])]);
      const output = makeRelation('', null, 'derived', left?.columns ?? null, withheld);
      const scope: Scope = { relations: [output], parent: outer, ctes: visible, outputs: new Set() };
      for (const [key, value] of Object.entries(data)) {
        if (!['left', 'right', 'with'].includes(key)) this.expr(value, scope);
      }
      return { columns: left?.columns ?? null, withheld };
    }
    if (WRITE_TYPES.has(type)) {
      this.write(type, data, outer, visible);
      return noOutput();
    }
    // VALUES and anything else: names inside still resolve against the outer scopes.
    this.expr(data, { relations: [], parent: outer, ctes: visible, outputs: new Set() });
    return noOutput();
  }

  private withClause(withData: AstData, outer: Scope | null, ctes: Map<string, Relation>): Map<string, Relation> {
    const visible = new Map(ctes);
    for (const cte of Array.isArray(withData.ctes) ? withData.ctes : []) {
      if (!isObject(cte)) continue;
      const name = identName(cte.alias);
      const explicit = Array.isArray(cte.columns) && cte.columns.length ? cte.columns.map(identName) : null;
      if (withData.recursive) visible.set(name.toLowerCase(), makeRelation(name, null, 'cte', explicit, new Set()));
      const out = isObject(cte.this) ? this.query(cte.this, outer, visible) : noOutput();
      visible.set(
        name.toLowerCase(),
        makeRelation(name, null, 'cte', explicit ?? out.columns, explicit ? new Set() : out.withheld),
      );
    }
    return visible;
  }

  private select(data: AstData, outer: Scope | null, ctes: Map<string, Relation>): QueryOutput {
    const visible = isObject(data.with) ? this.withClause(data.with, outer, ctes) : ctes;
    const expressions = Array.isArray(data.expressions) ? (data.expressions as AstNode[]) : [];
    const outputs = new Set(
      expressions.filter((e) => nodeType(e) === 'alias').map((e) => identName(nodeData(e).alias).toLowerCase()),
    );
    const scope: Scope = { relations: [], parent: outer, ctes: visible, outputs };
    const from = isObject(data.from) && Array.isArray(data.from.expressions) ? data.from.expressions : [];
    from.forEach((item) => this.fromItem(item, scope));
    const joins = Array.isArray(data.joins) ? data.joins.filter(isObject) : [];
    for (const join of joins) this.fromItem(join.this, scope);
    for (const join of joins) {
      this.expr(join.on, scope);
      for (const using of Array.isArray(join.using) ? join.using : [])
        this.unqualified(identName(using), false, scope, using);
      if (/natural/i.test(String(join.kind)) && scope.relations.some((r) => r.withheld.size)) {
        this.error('PII_COLUMN', 'NATURAL JOIN is not allowed over a table with withheld (pii) columns', join);
      }
    }
    const rewritten: AstNode[] = [];
    const removed = new Set<string>();
    for (const e of expressions) {
      if (nodeType(e) === 'star') rewritten.push(...this.star(nodeData(e), scope, e, removed));
      else {
        this.expr(e, scope);
        rewritten.push(e);
      }
    }
    data.expressions = rewritten;
    for (const [key, value] of Object.entries(data)) if (!SELECT_HANDLED.has(key)) this.expr(value, scope);
    return outputOf(rewritten, scope, removed);
  }

  /** Adds what one FROM item brings into scope; names inside it resolve first. */
  private fromItem(item: unknown, scope: Scope): void {
    if (!isObject(item) || !this.p.ast.isExpressionValue(item)) return;
    const type = nodeType(item);
    const data = nodeData(item);
    const aliases =
      Array.isArray(data.column_aliases) && data.column_aliases.length ? data.column_aliases.map(identName) : null;
    if (type === 'table') {
      scope.relations.push(this.tableRelation(data, scope, item));
    } else if (type === 'subquery') {
      const out = isObject(data.this) ? this.query(data.this, scope, scope.ctes) : noOutput();
      const alias = identName(data.alias);
      const qualifier = isObject(data.alias) ? data.alias : null;
      scope.relations.push(
        makeRelation(alias, qualifier, 'derived', aliases ?? out.columns, aliases ? new Set() : out.withheld),
      );
    } else if (type === 'alias' && isObject(data.this) && ['table', 'subquery'].includes(nodeType(data.this))) {
      const inner = nodeData(data.this);
      this.fromItem(
        { [nodeType(data.this)]: { ...inner, alias: data.alias, column_aliases: data.column_aliases } },
        scope,
      );
    } else if (type === 'paren') {
      this.fromItem(data.this, scope);
    } else if (type === 'joined_table') {
      this.fromItem(data.left, scope);
      const joins = Array.isArray(data.joins) ? data.joins.filter(isObject) : [];
      for (const join of joins) this.fromItem(join.this, scope);
      for (const join of joins) this.expr(join.on, scope);
      const alias = identName(data.alias);
      if (alias) scope.relations.push(makeRelation(alias, null, 'derived', null, new Set()));
    } else {
      // Table functions (generate_series, unnest, json_each...): their arguments see the scope.
      this.expr(type === 'alias' ? data.this : item, scope);
      const alias = identName(data.alias) || identName(data.this) || (type === 'alias' ? '' : type);
      scope.relations.push(
        makeRelation(alias, isObject(data.alias) ? data.alias : null, 'function', aliases, new Set()),
      );
    }
  }

  private tableRelation(data: AstData, scope: Scope, node: unknown): Relation {
    const name = identName(data.name);
    const schema = identName(data.schema) || null;
    const alias = identName(data.alias);
    const qualifier = (isObject(data.alias) ? data.alias : data.name) as AstData;
    const aliases =
      Array.isArray(data.column_aliases) && data.column_aliases.length ? data.column_aliases.map(identName) : null;
    const cte = !schema ? scope.ctes.get(name.toLowerCase()) : undefined;
    if (cte) {
      return {
        ...cte,
        name: (alias || name).toLowerCase(),
        display: alias || name,
        qualifier,
        ...(aliases
          ? { columns: aliases, lower: new Set(aliases.map((a) => a.toLowerCase())), withheld: new Set<string>() }
          : {}),
      };
    }
    const catalog = identName(data.catalog);
    this.tables.push([catalog, schema, name].filter(Boolean).join('.'));
    let info: TableInfo | null = null;
    if (this.schema) {
      const found = this.schema.lookup(schema, name);
      if ('error' in found) this.error('UNKNOWN_TABLE', found.error, node);
      else info = found.table;
    }
    const withheld = this.pii.columnsOf(info, schema, name);
    let columns = info ? info.columns.map((c) => c.name) : null;
    let hidden = withheld;
    if (aliases && info) {
      // `customer AS c(a, b)` renames the first columns; the others keep their names.
      const renamed = info.columns.map((c, i) => aliases[i] ?? c.name);
      hidden = new Set(
        renamed.filter((_, i) => withheld.has(info!.columns[i].name.toLowerCase())).map((a) => a.toLowerCase()),
      );
      columns = renamed;
    } else if (aliases) {
      if (withheld.size) {
        this.error(
          'PII_COLUMN',
          `Column aliases over ${name}, which has withheld (pii) columns, are not allowed`,
          node,
        );
      }
      columns = null;
    }
    return makeRelation(alias || name, qualifier, 'table', columns, hidden, {
      schema: info?.schema ?? schema,
      name: info?.name ?? name,
    });
  }

  private qualified(qualifier: string, column: string, scope: Scope, node: unknown): void {
    const rel = findRelation(qualifier, scope);
    if (!rel) {
      if (this.schema) {
        this.error(
          'UNKNOWN_TABLE',
          `Unknown table or alias "${qualifier}" in "${qualifier}.${column}"; in scope: ${
            relationsInScope(scope)
              .filter((r) => r.name)
              .map((r) => r.display)
              .join(', ') || 'none'
          }`,
          node,
        );
      } else if (this.pii.columnsOf(null, null, qualifier).has(column.toLowerCase())) {
        this.error('PII_COLUMN', `Column "${qualifier}.${column}" is withheld (pii) from this caller`, node);
      }
      return;
    }
    this.columnOf(rel, column, `${qualifier}.${column}`, node);
  }

  private columnOf(rel: Relation, column: string, written: string, node: unknown): void {
    const lower = column.toLowerCase();
    if (rel.withheld.has(lower)) {
      this.error('PII_COLUMN', `Column "${written}" is withheld (pii) from this caller; leave it out`, node);
    } else if (this.schema && rel.lower && !rel.lower.has(lower) && !pseudoColumnsOf(this.dialect).has(lower)) {
      this.error(
        'UNKNOWN_COLUMN',
        `Unknown column "${written}"; ${rel.display} has: ${listNames(visibleColumns(rel), column)}`,
        node,
      );
    }
  }

  private unqualified(column: string, quoted: boolean, scope: Scope, node: unknown): void {
    const lower = column.toLowerCase();
    let definite = false;
    let possible = false;
    const withheldBy: Relation[] = [];
    // Every scope up to the first that surely has the column: a pii column of a table whose
    // columns are unknown may be what the name means.
    for (let s: Scope | null = scope; s && !definite; s = s.parent) {
      for (const rel of s.relations) {
        if (rel.withheld.has(lower)) withheldBy.push(rel);
        if (rel.lower === null) possible = true;
        else if (rel.lower.has(lower)) definite = true;
      }
    }
    if (withheldBy.length) {
      this.error(
        'PII_COLUMN',
        `Column "${column}" is withheld (pii) from this caller (${withheldBy[0].display}); leave it out`,
        node,
      );
      return;
    }
    // PostgreSQL reads a bare relation name as the whole row (row_to_json(c), (c).email).
    const whole = definite ? null : findRelation(column, scope);
    if (whole?.withheld.size) {
      this.error('PII_COLUMN', `The whole row of ${whole.display} includes withheld (pii) columns`, node);
      return;
    }
    if (whole || definite || possible || scope.outputs.has(lower) || pseudoColumnsOf(this.dialect).has(lower)) return;
    if (!this.schema) return;
    if (quoted && familyOf(this.dialect) === 'sqlite' && isObject(node)) {
      // SQLite reads a double-quoted name that matches no column as a string (unless built with
      // SQLITE_DQS=0, as better-sqlite3 is): written back as the string it means.
      const at = this.locate(node);
      delete node.column;
      node.literal = { literal_type: 'string', value: column };
      this.warnings.push({
        code: 'DOUBLE_QUOTED_STRING',
        message: `"${column}" names no column and was read as the string '${column}'; write strings in single quotes`,
        ...at,
      });
      return;
    }
    const listed = relationsInScope(scope)
      .filter((r) => r.columns)
      .map((r) => `${r.display || '(derived)'} (${listNames(visibleColumns(r), column)})`)
      .join('; ');
    this.error('UNKNOWN_COLUMN', `Unknown column "${column}"; tables in scope: ${listed || 'none'}`, node);
  }

  /** `*` or `t.*` in a select list: kept, or spelled out without withheld columns, or refused. */
  private star(data: AstData, scope: Scope, node: AstNode, removed: Set<string>): AstNode[] {
    const qualifier = identName(data.table);
    const found = qualifier ? findRelation(qualifier, scope) : null;
    if (qualifier && !found) {
      if (this.schema) this.error('UNKNOWN_TABLE', `Unknown table or alias "${qualifier}" in "${qualifier}.*"`, node);
      return [node];
    }
    const star = `${qualifier ? `${qualifier}.` : ''}*`;
    const expansion = expandStar(data, found ? [found] : scope.relations, node);
    if (!expansion) {
      const hiding = (found ? [found] : scope.relations).filter((r) => r.withheld.size);
      const message = `${star} would return withheld (pii) columns of ${describeWithheld(hiding)}; list the columns you need`;
      this.error('PII_COLUMN', message, node);
      return [node];
    }
    if (expansion.hiding.length) {
      expansion.hiding.forEach((r) => r.withheld.forEach((c) => removed.add(c)));
      this.warnings.push({
        code: 'STAR_REWRITTEN',
        message: `${star} was spelled out without the withheld (pii) columns of ${describeWithheld(expansion.hiding)}`,
        ...this.locate(node),
      });
    }
    return expansion.nodes;
  }

  /** Resolves every column, star and nested query under `value`. */
  private expr(value: unknown, scope: Scope): void {
    if (Array.isArray(value)) {
      value.forEach((v) => this.expr(v, scope));
      return;
    }
    if (!isObject(value)) return;
    if (!this.p.ast.isExpressionValue(value)) {
      Object.values(value).forEach((v) => this.expr(v, scope));
      return;
    }
    const type = nodeType(value);
    const data = nodeData(value);
    if (type === 'column') {
      const name = identName(data.name);
      const table = identName(data.table);
      if (table) this.qualified(table, name, scope, value);
      else this.unqualified(name, isObject(data.name) && data.name.quoted === true, scope, value);
    } else if (type === 'dot') {
      this.dot(data, scope, value);
    } else if (type === 'star') {
      const q = identName(data.table);
      const rels = q ? [findRelation(q, scope)] : scope.relations;
      if (rels.some((r) => r?.withheld.size)) {
        this.error(
          'PII_COLUMN',
          `${q ? `${q}.` : ''}* here would pass withheld (pii) columns along; name the columns`,
          value,
        );
      }
    } else if (QUERY_TYPES.has(type) || WRITE_TYPES.has(type)) {
      this.query(value, scope, scope.ctes);
    } else if (
      type === 'method_call' &&
      isObject(data.this) &&
      nodeType(data.this) === 'column' &&
      !nodeData(data.this).table
    ) {
      // schema.function(...): the qualifier is a schema, not a column.
      this.expr(data.args, scope);
    } else if (type === 'table') {
      const rel = this.tableRelation(data, scope, value);
      if (rel.withheld.size)
        this.error('PII_COLUMN', `The rows of ${rel.display} include withheld (pii) columns`, value);
    } else {
      Object.values(data).forEach((v) => this.expr(v, scope));
    }
  }

  /** `schema.table.column` (a dot over a qualified column), or a field of a composite value. */
  private dot(data: AstData, scope: Scope, node: unknown): void {
    const base = isObject(data.this) ? data.this : null;
    const field = identName(data.field);
    if (base && nodeType(base) === 'column' && identName(nodeData(base).table)) {
      const schema = identName(nodeData(base).table).toLowerCase();
      const table = identName(nodeData(base).name).toLowerCase();
      for (let s: Scope | null = scope; s; s = s.parent) {
        const rel = s.relations.find(
          (r) => r.kind === 'table' && r.tableName === table && (r.schema === schema || !r.schema),
        );
        if (rel) return this.columnOf(rel, field, `${schema}.${table}.${field}`, node);
      }
    }
    this.expr(base, scope);
  }

  private write(type: string, data: AstData, outer: Scope | null, ctes: Map<string, Relation>): void {
    const scope: Scope = { relations: [], parent: outer, ctes, outputs: new Set() };
    const targetKey = type === 'merge' ? 'this' : 'table';
    const written = data[targetKey];
    const target = isObject(written) ? (this.p.ast.isExpressionValue(written) ? written : { table: written }) : null;
    if (target) this.fromItem(target, scope);
    const rel = scope.relations[0];
    if (type === 'insert' && rel) {
      for (const c of Array.isArray(data.columns) ? data.columns : [])
        this.columnOf({ ...rel, withheld: new Set() }, identName(c), identName(c), c);
      scope.relations.push({ ...rel, name: 'excluded', display: 'excluded' });
    }
    if (type === 'update' && rel) {
      for (const pair of Array.isArray(data.set) ? data.set : []) {
        if (!Array.isArray(pair)) continue;
        if (!this.p.ast.isExpressionValue(pair[0]))
          this.columnOf({ ...rel, withheld: new Set() }, identName(pair[0]), identName(pair[0]), pair[0]);
        this.expr(pair.slice(this.p.ast.isExpressionValue(pair[0]) ? 0 : 1), scope);
      }
    }
    for (const key of ['from_clause', 'using']) {
      const value = data[key];
      const items = this.p.ast.isExpressionValue(value) ? [value] : isObject(value) ? value.expressions : value;
      for (const item of Array.isArray(items) ? items : []) {
        this.fromItem(this.p.ast.isExpressionValue(item) ? item : { table: item }, scope);
      }
    }
    for (const [key, value] of Object.entries(data)) {
      if ([targetKey, 'columns', 'set', 'from_clause', 'using', 'with', 'query'].includes(key)) continue;
      this.expr(value, scope);
    }
    if (isObject(data.query)) this.query(data.query, outer, ctes);
  }
}
