import { FieldProblem } from '@sluice/core';
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { JsonSchema } from './connector-plugin';

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
addFormats(ajv);
const compiled = new WeakMap<JsonSchema, ValidateFunction>();

function fieldOf(prefix: string, error: ErrorObject): string {
  const path = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const missing =
    error.keyword === 'required' ? (error.params as { missingProperty: string }).missingProperty : undefined;
  const extra =
    error.keyword === 'additionalProperties'
      ? (error.params as { additionalProperty: string }).additionalProperty
      : undefined;
  return [prefix, path, missing ?? extra].filter(Boolean).join('.');
}

function messageOf(error: ErrorObject): string {
  if (error.keyword === 'required') return 'is required';
  if (error.keyword === 'additionalProperties') return 'is not a known field';
  return error.message ?? 'is invalid';
}

/**
 * Checks `data` against a plugin's JSON Schema, filling in defaults. Returns one problem per
 * field, named from `prefix` (e.g. `config.port`), so a 400 says exactly what to fix.
 */
export function validateAgainstSchema(
  schema: JsonSchema,
  data: Record<string, unknown>,
  prefix: string,
): FieldProblem[] {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(data)) return [];
  const byField = new Map<string, string[]>();
  for (const error of validate.errors ?? []) {
    const field = fieldOf(prefix, error);
    byField.set(field, [...(byField.get(field) ?? []), messageOf(error)]);
  }
  return [...byField].map(([field, messages]) => ({ field, messages }));
}
