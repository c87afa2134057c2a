import { BullAdapter } from '@bull-board/api/bullAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { BullBoardModule } from '@bull-board/nestjs';
import { Module } from '@nestjs/common';
import { QUEUE_DASHBOARD_PATH, ALL_QUEUES } from '@sluice/core';
import cookieParser from 'cookie-parser';
import { AuthModule } from '../auth.module';
import { DashboardAuthMiddleware } from './dashboard-auth.middleware';

/** Bull Board's own Express app, without the X-Powered-By header the API app turns off. */
class QueueDashboardAdapter extends ExpressAdapter {
  constructor() {
    super();
    this.getRouter().disable('x-powered-by');
  }
}

/**
 * Bull Board at /admin/queues over every queue, for admins of the operator tenant only. Imported
 * by the API app; the queues themselves come from CoreModule's QueueModule.
 */
@Module({
  imports: [
    BullBoardModule.forRootAsync({
      // The middleware is built in Bull Board's module: AuthModule lends it the session service.
      imports: [AuthModule],
      useFactory: () => ({
        route: QUEUE_DASHBOARD_PATH.slice(1),
        adapter: QueueDashboardAdapter,
        // Runs before the board's router on each of its paths.
        middleware: [cookieParser(), DashboardAuthMiddleware],
        boardOptions: { uiConfig: { boardTitle: 'Sluice queues' } },
      }),
    }),
    BullBoardModule.forFeature(...ALL_QUEUES.map((name) => ({ name, adapter: BullAdapter }))),
  ],
})
export class QueueDashboardModule {}
