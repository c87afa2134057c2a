import { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { TenantService } from '@sluice/auth';
import { ManagedConnectorsProvisioner } from '@sluice/connectors';
import { applyServerTimeouts, configureApp, EnvDto } from '@sluice/core';
import { AppModule } from './app.module';

/**
 * Builds the API application, configured and initialised, and on a first start creates the
 * bootstrap tenant and admin, then applies CONNECTORS_FILE. Used by main.ts and the e2e tests.
 */
export async function createApiApp(env: EnvDto, logger: LoggerService | false): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(env), {
    bodyParser: false,
    logger,
    abortOnError: false,
  });
  configureApp(app, env);
  await app.init();
  applyServerTimeouts(app, env);
  await app.get(TenantService).bootstrap(env.BOOTSTRAP_TENANT, env.BOOTSTRAP_ADMIN_EMAIL, env.BOOTSTRAP_ADMIN_PASSWORD);
  // After the bootstrap tenant exists, so a first start can provision into it.
  await app.get(ManagedConnectorsProvisioner).provision();
  return app;
}
