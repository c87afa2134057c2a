import { Inject } from '@nestjs/common';

/** Injection token of the shared ioredis client (keys under REDIS_KEY_PREFIX). */
export const REDIS = Symbol('REDIS');
export const InjectRedis = (): ParameterDecorator => Inject(REDIS);
