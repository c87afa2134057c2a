import { SetMetadata } from '@nestjs/common';

export const LOGIN_RATE_LIMITED_KEY = 'sluice:login-rate-limited';

/** Puts a route under the per-IP and per-account login limits (see the throttler setup). */
export const LoginRateLimited = (): MethodDecorator => SetMetadata(LOGIN_RATE_LIMITED_KEY, true);
