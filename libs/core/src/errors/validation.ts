import { ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldProblem, ValidationFailedError } from './domain-error';

function collect(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints
      ? [
          {
            field,
            messages: Object.values(error.constraints).map((m) =>
              m.replace(/^property (\S+) should not exist$/, 'is not a known field'),
            ),
          },
        ]
      : [];
    return [...own, ...collect(error.children ?? [], field)];
  });
}

/** The global pipe: unknown fields are refused, types converted, every problem listed per field. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    exceptionFactory: (errors) => new ValidationFailedError(collect(errors)),
  });
}
