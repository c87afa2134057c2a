import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, Public, LoginRateLimited } from '@sluice/core';
import { Authenticated } from '../decorators/authenticated.decorator';
import { CurrentUser } from '../decorators/current-user.decorator';
import { AuthContext } from '../role';
import { AuthService } from '../services/auth.service';
import { LoginDto, MeResponseDto, RefreshDto, TokenResponseDto } from '../dto/auth.dto';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @HttpCode(200)
  @Public()
  @LoginRateLimited()
  @ApiOperation({
    operationId: 'auth_login',
    summary: 'Sign in with e-mail and password',
    description:
      'Returns a short-lived access token and a single-use refresh token. Rate-limited per IP and per account.',
  })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiErrors(400, {
    401: 'Wrong e-mail or password (same answer for both)',
    403: 'TENANT_FORBIDDEN: the account is not a member of the tenant named',
    429: 'Too many attempts; see Retry-After',
  })
  login(@Body() dto: LoginDto): Promise<TokenResponseDto> {
    return this.auth.login(dto);
  }

  @Post('refresh')
  @HttpCode(200)
  @Public()
  @ApiOperation({
    operationId: 'auth_refresh',
    summary: 'Trade a refresh token for a new token pair',
    description: 'Each refresh token works once; reusing one signs the user out everywhere.',
  })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiErrors(400, { 401: 'Unknown, expired or already used refresh token' })
  refresh(@Body() dto: RefreshDto): Promise<TokenResponseDto> {
    return this.auth.refresh(dto);
  }

  @Post('logout')
  @HttpCode(204)
  @Public()
  @ApiOperation({
    operationId: 'auth_logout',
    summary: 'Revoke a refresh token',
    description:
      'Revokes the refresh token sent in the body so it can no longer be traded. Access tokens already issued stay valid until they expire; POST /auth/logout-all ends those too.',
  })
  @ApiNoContentResponse({ description: 'Revoked (or already unknown)' })
  @ApiErrors(400)
  logout(@Body() dto: RefreshDto): Promise<void> {
    return this.auth.logout(dto);
  }

  @Post('logout-all')
  @HttpCode(204)
  @Authenticated()
  @ApiOperation({
    operationId: 'auth_logoutEverywhere',
    summary: 'Sign out everywhere',
    description:
      'Revokes every refresh token of the account and ends every access token issued so far, this one included, ' +
      'on every API instance at once. For users only: an API key is revoked with DELETE /api-keys/{id} (403 NEEDS_USER).',
  })
  @ApiNoContentResponse({ description: 'Signed out everywhere' })
  @ApiErrors({ 403: 'Called with an API key (NEEDS_USER)' })
  logoutEverywhere(@CurrentUser() auth: AuthContext): Promise<void> {
    return this.auth.logoutEverywhere(auth);
  }

  @Get('me')
  @Authenticated()
  @ApiOperation({
    operationId: 'auth_me',
    summary: 'Who am I: user, tenant, role and every tenant I belong to',
    description:
      "The signed-in user (or the API key's tenant), the tenant this request acts in with the role held there, and every tenant the account belongs to.",
  })
  @ApiOkResponse({ type: MeResponseDto })
  me(@CurrentUser() auth: AuthContext): Promise<MeResponseDto> {
    return this.auth.me(auth);
  }
}
