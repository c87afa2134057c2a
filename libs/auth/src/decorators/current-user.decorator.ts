import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { UnauthorizedError } from '@sluice/core';
import { AuthContext } from '../role';

/** The caller, as the global guard resolved it. */
export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthContext => {
  const user = ctx.switchToHttp().getRequest<{ user?: AuthContext }>().user;
  if (!user) throw new UnauthorizedError();
  return user;
});
