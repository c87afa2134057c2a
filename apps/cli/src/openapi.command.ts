import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { loadEnv, buildOpenApiDocument, applyApiPrefix } from '@sluice/core';
import { readFileSync, writeFileSync } from 'node:fs';
import { AppModule } from '../../api/src/app.module';

/**
 * Writes the OpenAPI document, or checks that a committed one is current. Runs the API module
 * in preview mode: routes and DTOs are read, nothing connects to a database or Redis.
 */
export async function writeOpenApi(out: string | undefined, check: string | undefined): Promise<void> {
  const env = loadEnv({ JWT_SECRET: 'openapi-generation-only-'.padEnd(40, 'x'), ENCRYPTION_KEY: '0'.repeat(64) });
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(env), {
    preview: true,
    logger: false,
  });
  applyApiPrefix(app);
  const text = `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`;
  await app.close();
  if (check) {
    const committed = readFileSync(check, 'utf8');
    if (committed !== text) {
      process.stderr.write(`${check} is out of date: run \`npm run openapi\` and commit the result.\n`);
      process.exit(1);
    }
    process.stdout.write(`${check} is up to date.\n`);
    return;
  }
  if (out) writeFileSync(out, text);
  else process.stdout.write(text);
}
