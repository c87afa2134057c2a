import { Module } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EnvDto } from '@sluice/core';
import { DashboardSessionService } from './dashboard/dashboard-session.service';
import { ApiKeyEntity } from './entities/api-key.entity';
import { InvitationEntity } from './entities/invitation.entity';
import { MembershipEntity } from './entities/membership.entity';
import { RefreshTokenEntity } from './entities/refresh-token.entity';
import { TenantEntity } from './entities/tenant.entity';
import { UserEntity } from './entities/user.entity';
import { AuthGuard } from './guards/auth.guard';
import { JwtStrategy } from './guards/jwt.strategy';
import { MemberAccessCache } from './guards/member-access.cache';
import { RequestAuthenticator } from './guards/request-authenticator';
import { RouteAuditor } from './guards/route-auditor';
import { ApiKeyRepository } from './repositories/api-key.repository';
import { InvitationRepository } from './repositories/invitation.repository';
import { MembershipRepository } from './repositories/membership.repository';
import { RefreshTokenRepository } from './repositories/refresh-token.repository';
import { TenantRepository } from './repositories/tenant.repository';
import { UserRepository } from './repositories/user.repository';
import { ApiKeyService } from './services/api-key.service';
import { AuthService } from './services/auth.service';
import { InvitationService } from './services/invitation.service';
import { PasswordService } from './services/password.service';
import { TenantService } from './services/tenant.service';
import { TokenService } from './services/token.service';
import { UserService } from './services/user.service';

/** Domain of identity: tenants, users, memberships, API keys, tokens and the global guard. */
@Module({
  imports: [
    TypeOrmModule.forFeature([
      TenantEntity,
      UserEntity,
      MembershipEntity,
      ApiKeyEntity,
      RefreshTokenEntity,
      InvitationEntity,
    ]),
    DiscoveryModule,
    JwtModule.registerAsync({ inject: [EnvDto], useFactory: (env: EnvDto) => ({ secret: env.JWT_SECRET }) }),
  ],
  providers: [
    TenantRepository,
    UserRepository,
    MembershipRepository,
    ApiKeyRepository,
    RefreshTokenRepository,
    InvitationRepository,
    PasswordService,
    TokenService,
    AuthService,
    UserService,
    InvitationService,
    ApiKeyService,
    TenantService,
    DashboardSessionService,
    RequestAuthenticator,
    MemberAccessCache,
    JwtStrategy,
    RouteAuditor,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [AuthService, UserService, InvitationService, ApiKeyService, TenantService, DashboardSessionService],
})
export class AuthModule {}
