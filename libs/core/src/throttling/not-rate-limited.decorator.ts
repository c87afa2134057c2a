import { applyDecorators } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';

/** Marks an operation the rate limits skip; every other one may answer 429 (see completeDocument). */
export const NOT_RATE_LIMITED_EXTENSION = 'x-sluice-not-rate-limited';

/** Skips every rate limit (the general one and sign-in's), and says so in the OpenAPI document. */
export const NotRateLimited = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    SkipThrottle({ default: true, 'login-ip': true, 'login-account': true }),
    ApiExtension(NOT_RATE_LIMITED_EXTENSION, true),
  );
