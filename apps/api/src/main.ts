import 'reflect-metadata';
import { createLogger, loadEnvOrExit, onShutdown, prepareRuntime, runMain, RequestDrain } from '@sluice/core';
import { createApiApp } from './create-app';

runMain('Sluice API failed to start', async () => {
  const env = loadEnvOrExit();
  const logger = createLogger(env);
  const db = await prepareRuntime(env, logger);
  const app = await createApiApp(env, logger);
  await app.listen(env.PORT, env.HOST);
  // Drain first (no new requests, those in flight finish), then close Nest and the database.
  const drain = RequestDrain.of(app);
  onShutdown(
    async () => {
      await drain.drain(app.getHttpServer(), env.SHUTDOWN_GRACE_MS);
      await app.close();
    },
    db,
    env.SHUTDOWN_GRACE_MS + 2_500,
  );
  logger.log(
    `API listening on http://${env.HOST === '0.0.0.0' ? 'localhost' : env.HOST}:${env.PORT} (docs at /docs)`,
    'Startup',
  );
});
