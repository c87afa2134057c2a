import { HealthIndicatorService, TerminusModule, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { DomainError } from '../errors/domain-error';
import { REDIS } from '../redis/redis';
import { HealthService } from './health.service';

/** What each dependency does when pinged: answer, fail, or hang past the check's deadline. */
type Behaviour = 'up' | 'down' | 'hang';

const act = (behaviour: Behaviour, answer: string): Promise<string> =>
  behaviour === 'up'
    ? Promise.resolve(answer)
    : behaviour === 'down'
      ? Promise.reject(new Error('connect ECONNREFUSED'))
      : new Promise(() => undefined);

describe('HealthService', () => {
  let service: HealthService;
  let database: Behaviour;
  let redis: Behaviour;
  let redisAnswer: string;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [TerminusModule.forRoot({ logger: false })],
      providers: [
        HealthService,
        { provide: REDIS, useValue: { ping: () => act(redis, redisAnswer) } },
        {
          // The real indicator needs a DataSource; this one pings through the same attempt machinery.
          provide: TypeOrmHealthIndicator,
          inject: [HealthIndicatorService],
          useFactory: (indicators: HealthIndicatorService) => ({
            pingCheck: (key: string) => indicators.check(key).attempt(() => act(database, 'ok').then(() => undefined)),
          }),
        },
      ],
    }).compile();
    service = moduleRef.get(HealthService);
  });

  beforeEach(() => {
    database = 'up';
    redis = 'up';
    redisAnswer = 'PONG';
  });

  async function notReady(): Promise<DomainError> {
    const error = await service.ready().then(
      () => null,
      (e: unknown) => e,
    );
    if (!(error instanceof DomainError)) throw new Error(`expected a 503, got ${String(error)}`);
    return error;
  }

  it('is live with the uptime in whole seconds', () => {
    const live = service.live();
    expect(live.status).toBe('ok');
    expect(Number.isInteger(live.uptimeSeconds)).toBe(true);
  });

  it('is ready when the database and Redis both answer', async () => {
    expect(await service.ready()).toEqual({
      status: 'ok',
      dependencies: { database: { status: 'up' }, redis: { status: 'up' } },
    });
  });

  it('is a 503 NOT_READY naming the database when it is down', async () => {
    database = 'down';
    const error = await notReady();
    expect(error).toMatchObject({ status: 503, code: 'NOT_READY', message: 'Not ready: database down' });
    expect(error.details).toEqual([{ dependency: 'database', status: 'down', message: 'connect ECONNREFUSED' }]);
  });

  it('names Redis when it answers PING with anything but PONG', async () => {
    redisAnswer = 'LOADING';
    const error = await notReady();
    expect(error.message).toBe('Not ready: redis down');
    expect(error.details).toEqual([
      expect.objectContaining({ dependency: 'redis', message: 'unexpected PING answer' }),
    ]);
  });

  it('names both when both are down, and a dependency that hangs counts as down', async () => {
    database = 'down';
    redis = 'hang';
    const error = await notReady();
    expect(error.message).toBe('Not ready: database, redis down');
    expect(error.details).toHaveLength(2);
  }, 10_000);
});
