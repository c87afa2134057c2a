import { Controller, Delete, HttpCode, Post, Res } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, QUEUE_DASHBOARD_PATH, EnvDto } from '@sluice/core';
import type { CookieOptions, Response } from 'express';
import { DASHBOARD_COOKIE, DashboardSessionService } from '../dashboard/dashboard-session.service';
import { Authenticated } from '../decorators/authenticated.decorator';
import { CurrentUser } from '../decorators/current-user.decorator';
import { AuthContext } from '../role';
import { DashboardSessionResponseDto } from '../dto/dashboard-session.dto';

@ApiTags('auth')
@Controller('auth/dashboard-session')
export class DashboardSessionController {
  constructor(
    private readonly sessions: DashboardSessionService,
    private readonly env: EnvDto,
  ) {}

  @Post()
  @HttpCode(200)
  @Authenticated({ roles: ['admin'] })
  @ApiOperation({
    operationId: 'auth_openDashboardSession',
    summary: 'Open the queue dashboard in this browser',
    description:
      'Sets a short-lived HttpOnly cookie (DASHBOARD_SESSION_TTL_SECONDS) that opens /admin/queues. ' +
      'The dashboard shows the jobs of every tenant, so only admins of the operator tenant (DASHBOARD_TENANT) ' +
      'get one; others get 403 DASHBOARD_FORBIDDEN. The cookie is no API token, and an API token is no cookie.',
  })
  @ApiOkResponse({
    type: DashboardSessionResponseDto,
    headers: { 'Set-Cookie': { description: 'The session cookie', schema: { type: 'string' } } },
  })
  @ApiErrors({ 403: 'Not an admin of the operator tenant (DASHBOARD_FORBIDDEN), or an API key (DASHBOARD_NEEDS_USER)' })
  async open(
    @CurrentUser() auth: AuthContext,
    @Res({ passthrough: true }) res: Response,
  ): Promise<DashboardSessionResponseDto> {
    const session = await this.sessions.open(auth);
    res.cookie(DASHBOARD_COOKIE, session.token, { ...this.cookieOptions(), maxAge: session.maxAgeSeconds * 1000 });
    return session.response;
  }

  @Delete()
  @HttpCode(204)
  @Authenticated()
  @ApiOperation({
    operationId: 'auth_closeDashboardSession',
    summary: 'Remove the queue dashboard cookie',
    description: 'Clears the cookie that POST /auth/dashboard-session set for the queue dashboard at /admin/queues.',
  })
  @ApiNoContentResponse({ description: 'Cookie cleared' })
  close(@Res({ passthrough: true }) res: Response): void {
    res.clearCookie(DASHBOARD_COOKIE, this.cookieOptions());
  }

  // Path keeps the cookie off every other route; Strict keeps other sites from riding it.
  private cookieOptions(): CookieOptions {
    return {
      httpOnly: true,
      sameSite: 'strict',
      path: QUEUE_DASHBOARD_PATH,
      secure: this.env.NODE_ENV === 'production',
    };
  }
}
