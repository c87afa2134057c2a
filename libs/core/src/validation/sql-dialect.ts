import { ValidateBy, ValidationOptions } from 'class-validator';
import { dialectNames, isDialect } from '../sql/dialect-registry';

/**
 * The name of a registered SQL dialect. The registry is asked when a request is validated, not
 * when the DTO is declared, so a dialect registered later (a plugin loaded after) is accepted.
 */
export const IsSqlDialect = (options?: ValidationOptions): PropertyDecorator =>
  ValidateBy(
    {
      name: 'isSqlDialect',
      validator: {
        validate: (value: unknown) => isDialect(value),
        defaultMessage: (args) =>
          `${args?.property ?? 'dialect'} must be one of the following values: ${dialectNames().join(', ')}`,
      },
    },
    options,
  );
