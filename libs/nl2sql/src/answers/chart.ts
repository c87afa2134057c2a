import type { QueryColumn } from '@sluice/connectors';

export type VegaLiteSpec = Record<string, unknown>;
type Kind = 'number' | 'time' | 'category' | 'other';

const NUMERIC =
  /^(int|integer|smallint|bigint|tinyint|mediumint|int2|int4|int8|decimal|numeric|real|float|float4|float8|double|double precision|money|number)\b/i;
const TEMPORAL = /^(date|datetime|timestamp|timestamptz|time|year|timestamp with(out)? time zone)\b/i;
const ISO_DATE = /^\d{4}-\d{2}(-\d{2})?([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const SAMPLE = 50;

/** A column's kind, from its declared type, else from its values (SQLite and expressions have none). */
function kindOf(column: QueryColumn, values: unknown[]): Kind {
  if (NUMERIC.test(column.type)) return 'number';
  if (TEMPORAL.test(column.type)) return 'time';
  const present = values.filter((v) => v !== null && v !== undefined).slice(0, SAMPLE);
  if (present.length === 0) return 'other';
  if (
    present.every(
      (v) => typeof v === 'number' || (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))),
    )
  ) {
    return 'number';
  }
  if (present.every((v) => typeof v === 'string' && ISO_DATE.test(v))) return 'time';
  if (present.every((v) => typeof v === 'string' || typeof v === 'boolean')) return 'category';
  return 'other';
}

/**
 * A Vega-Lite spec chosen by rule from the result's column kinds, never written by the LLM:
 * category + number → bar, time + number → line, two numbers → scatter, anything else → null.
 * The data is the result's rows as records.
 */
export function chartFor(columns: QueryColumn[], rows: unknown[][]): VegaLiteSpec | null {
  if (rows.length === 0 || columns.length < 2) return null;
  const kinds = columns.map((c, i) =>
    kindOf(
      c,
      rows.map((r) => r[i]),
    ),
  );
  const find = (kind: Kind, skip = -1) => kinds.findIndex((k, i) => k === kind && i !== skip);
  const measure = find('number');
  const time = find('time');
  const category = find('category');
  const values = rows.map((r) =>
    Object.fromEntries(columns.map((c, i) => [c.name, kinds[i] === 'number' ? Number(r[i]) : r[i]])),
  );
  const base = { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', data: { values } };
  const field = (i: number, type: string) => ({ field: columns[i].name, type });
  if (time >= 0 && measure >= 0) {
    return {
      ...base,
      mark: { type: 'line', point: true },
      encoding: { x: field(time, 'temporal'), y: field(measure, 'quantitative') },
    };
  }
  if (category >= 0 && measure >= 0) {
    return {
      ...base,
      mark: 'bar',
      encoding: { x: { ...field(category, 'nominal'), sort: '-y' }, y: field(measure, 'quantitative') },
    };
  }
  const second = measure >= 0 ? find('number', measure) : -1;
  if (measure >= 0 && second >= 0) {
    return {
      ...base,
      mark: 'point',
      encoding: { x: field(measure, 'quantitative'), y: field(second, 'quantitative') },
    };
  }
  return null;
}
