import 'reflect-metadata';
import { createLogger, loadEnvOrExit, onShutdown, prepareRuntime, runMain } from '@sluice/core/app/bootstrap';
import { createApiApp } from './create-app';

runMain('Sluice API failed to start', async () => {
  const env = loadEnvOrExit();
  const logger = createLogger(env);
  const db = await prepareRuntime(env, logger);
  const app = await createApiApp(env, logger);
  await app.listen(env.PORT, env.HOST);
  onShutdown(() => app.close(), db);
  logger.log(
    `API listening on http://${env.HOST === '0.0.0.0' ? 'localhost' : env.HOST}:${env.PORT} (docs at /docs)`,
    'Startup',
  );
});
