import { SetMetadata } from '@nestjs/common';
import { IS_PUBLIC_KEY } from '../access/access-keys';

/** Opens a route to anonymous callers. Every other route needs @Authenticated (checked at start). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);
