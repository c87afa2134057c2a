import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC_KEY = 'sluice:public';

/** Opens a route to anonymous callers. Every other route needs @Authenticated (checked at start). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);
