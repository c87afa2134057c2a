import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ApiKeyService, TenantService, ROLES, Role } from '@sluice/auth';
import type { AuthContext } from '@sluice/auth';
import { createLogger, DomainError, loadEnvOrExit, prepareRuntime, runMain } from '@sluice/core';
import { SyncService } from '@sluice/documents';
import { parseArgs } from 'node:util';
import { CliModule, CliModuleOptions } from './cli.module';
import { writeOpenApi } from './openapi.command';
import { startAll } from './start.command';
import { operator, stopConnector, syncConnector } from './sync.command';

const USAGE = `Usage: npm run cli -- <command> [options]

  start                                   run the API and the worker together
  migrate                                 create the database if needed and apply migrations
  tenant create --name N --admin-email E --admin-password P
  user create --tenant T --email E --password P --role admin|editor|viewer [--name N]
  api-key create --tenant T --name N --role admin|editor|viewer
  openapi (--out FILE | --check FILE)     write or compare the OpenAPI document
  connector sync <connectorId> --tenant T [--force] [--follow] [--json]
                                          start a sync (or find the one under way) and print the run;
                                          --follow shows its progress until it ends (a live bar on a
                                          terminal, one JSON object per change with --json) and exits
                                          0 when it succeeded, 1 when it failed or was cancelled
  connector stop <connectorId> --tenant T [--json]
                                          stop the connector's queued or running sync

Exit codes: 0 done, 1 failed (the reason on stderr), 2 usage error, 130 stopped following (Ctrl-C).
`;

const OPTIONS = {
  name: { type: 'string' },
  'admin-email': { type: 'string' },
  'admin-password': { type: 'string' },
  tenant: { type: 'string' },
  email: { type: 'string' },
  password: { type: 'string' },
  role: { type: 'string' },
  out: { type: 'string' },
  check: { type: 'string' },
  force: { type: 'boolean' },
  follow: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

class UsageError extends Error {}

function required(values: Record<string, unknown>, ...names: string[]): string[] {
  const missing = names.filter((n) => typeof values[n] !== 'string' || values[n] === '');
  if (missing.length) throw new UsageError(`missing ${missing.map((m) => `--${m}`).join(', ')}`);
  return names.map((n) => values[n] as string);
}

function role(value: string): Role {
  if (!(ROLES as readonly string[]).includes(value)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
  return value as Role;
}

async function withServices<T>(
  work: (get: <S>(type: new (...a: never[]) => S) => S) => Promise<T>,
  options: CliModuleOptions = {},
): Promise<T> {
  const env = loadEnvOrExit();
  // Log lines go to stderr: stdout carries the command's result, for scripts to read.
  const logger = createLogger(env, process.stderr);
  const db = await prepareRuntime(env, logger, { redis: options.syncs ?? false });
  const app = await NestFactory.createApplicationContext(CliModule.forRoot(env, options), { logger: ['error'] });
  try {
    return await work((type) => app.get(type));
  } finally {
    await app.close();
    await db.stop?.();
  }
}

async function tenantId(tenants: TenantService, idOrName: string): Promise<string> {
  const tenant = await tenants.findByIdOrName(idOrName);
  if (!tenant) throw new UsageError(`no tenant "${idOrName}"`);
  return tenant.id;
}

const print = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

/** `connector sync|stop <id>`: the id is the one positional after the command. */
function connectorCommand(positionals: string[], values: { tenant?: string }): { connectorId: string; tenant: string } {
  const [, verb, connectorId, ...extra] = positionals;
  if (!connectorId) throw new UsageError(`connector ${verb} needs a connector id`);
  if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const [tenant] = required(values, 'tenant');
  return { connectorId, tenant };
}

/** Runs a connector command as the tenant's operator and sets the exit code it returns. */
function asOperator(tenant: string, work: (sync: SyncService, auth: AuthContext) => Promise<number>): Promise<void> {
  return withServices(
    async (get) => {
      process.exitCode = await work(get(SyncService), operator(await tenantId(get(TenantService), tenant)));
    },
    { syncs: true },
  );
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const command = positionals.join(' ');
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return;
  }
  const io = { out: process.stdout, err: process.stderr };
  if (positionals[0] === 'connector' && (positionals[1] === 'sync' || positionals[1] === 'stop')) {
    const { connectorId, tenant } = connectorCommand(positionals, values);
    const [force, follow, json] = [values.force ?? false, values.follow ?? false, values.json ?? false];
    if (positionals[1] === 'stop') {
      if (force || follow) throw new UsageError('connector stop takes no --force or --follow');
      return asOperator(tenant, (sync, auth) => stopConnector(sync, auth, { tenant, connectorId, json }, io));
    }
    return asOperator(tenant, (sync, auth) =>
      syncConnector(sync, auth, { tenant, connectorId, force, follow, json }, io),
    );
  }
  switch (command) {
    case 'start':
      return startAll();
    case 'migrate':
      return withServices(async () => print({ migrated: true }));
    case 'tenant create': {
      const [name, email, password] = required(values, 'name', 'admin-email', 'admin-password');
      return withServices(async (get) => {
        const { tenant, adminUserId } = await get(TenantService).createWithAdmin(name, email, password);
        print({ tenantId: tenant.id, name: tenant.name, adminUserId });
      });
    }
    case 'user create': {
      const [tenant, email, password, roleName] = required(values, 'tenant', 'email', 'password', 'role');
      return withServices(async (get) => {
        const tenants = get(TenantService);
        const userId = await tenants.addUser(
          await tenantId(tenants, tenant),
          email,
          password,
          role(roleName),
          values.name ?? '',
        );
        print({ userId, email, role: roleName });
      });
    }
    case 'api-key create': {
      const [tenant, name, roleName] = required(values, 'tenant', 'name', 'role');
      return withServices(async (get) => {
        const id = await tenantId(get(TenantService), tenant);
        print(await get(ApiKeyService).issue({ tenantId: id, name, role: role(roleName), createdBy: null }));
      });
    }
    case 'openapi':
      return writeOpenApi(values.out, values.check);
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

runMain('sluice', () =>
  main(process.argv.slice(2)).catch((e: unknown) => {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(e as Error).message}\n\n${USAGE}`);
      process.exit(2);
    }
    // A refusal of the domain (not found, wrong state, too many runs): its message and code, no stack.
    if (e instanceof DomainError) throw new Error(`${e.message} (${e.code})`);
    throw e;
  }),
);
