import { Module } from '@nestjs/common';
import { AuthModule } from '../auth.module';
import { ApiKeyController } from './api-key.controller';
import { AuthController } from './auth.controller';
import { DashboardSessionController } from './dashboard-session.controller';
import { InvitationController } from './invitation.controller';
import { UserController } from './user.controller';

/** The HTTP routes of identity; imported by the API app only. */
@Module({
  imports: [AuthModule],
  controllers: [AuthController, DashboardSessionController, UserController, InvitationController, ApiKeyController],
})
export class AuthHttpModule {}
