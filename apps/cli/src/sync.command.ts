import type { AuthContext } from '@sluice/auth';
import { DomainError } from '@sluice/core';
import type { SyncRunResponseDto, SyncService } from '@sluice/documents';
import { createRunView, RunView, ViewMode } from './run-view';

/** Where a command writes: results on `out`, what went wrong and notes on `err`. */
export interface Terminal {
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
}

export interface SyncCommandArgs {
  /** As the operator typed it (id or name), for the hints printed back. */
  tenant: string;
  connectorId: string;
  force: boolean;
  follow: boolean;
  json: boolean;
}

/** Exit codes of a followed run; usage errors exit 2 (main.ts). */
export const EXIT = { succeeded: 0, failed: 1, detached: 130 } as const;

/**
 * The operator at the shell, acting as the tenant's admin. There is no user and no API key
 * behind it, as for a key's machine caller, so a run it starts has no `createdBy`.
 */
export function operator(tenantId: string): AuthContext {
  return { userId: null, tenantId, role: 'admin', via: 'api_key' };
}

/** Names the connector and the tenant when the connector is not there (or is another tenant's). */
async function orNotFound<T>(args: { tenant: string; connectorId: string }, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (e) {
    if (e instanceof DomainError && e.code === 'CONNECTOR_NOT_FOUND') {
      throw new DomainError(404, e.code, `no connector ${args.connectorId} in tenant ${args.tenant}`);
    }
    throw e;
  }
}

const runJson = (run: SyncRunResponseDto, compact: boolean) => JSON.stringify(run, null, compact ? 0 : 2);

/**
 * `connector sync`: starts a sync through the API's service (the worker runs it), or finds the
 * one already queued or running. Without `--follow` it prints the run and returns; with it, it
 * shows the run's progress until the run ends and returns the exit code of its outcome.
 */
export async function syncConnector(
  sync: SyncService,
  auth: AuthContext,
  args: SyncCommandArgs,
  io: Terminal,
): Promise<number> {
  const { run, created } = await orNotFound(args, sync.start(auth, args.connectorId, args.force));
  if (!args.follow) {
    io.out.write(`${runJson(run, args.json)}\n`);
    return EXIT.succeeded;
  }
  if (!created) io.err.write(`A sync of ${args.connectorId} is already ${run.status}: following ${run.id}\n`);
  const mode: ViewMode = args.json ? 'json' : io.out.isTTY ? 'bar' : 'lines';
  const estimate = run.progress.total ?? (await previousTotal(sync, auth, run));
  return followRun(sync, auth, run, createRunView(mode, io.out, estimate), args, io);
}

/** `connector stop`: a queued run is cancelled at once, a running one at its next batch. */
export async function stopConnector(
  sync: SyncService,
  auth: AuthContext,
  args: Pick<SyncCommandArgs, 'tenant' | 'connectorId' | 'json'>,
  io: Terminal,
): Promise<number> {
  const run = await orNotFound(args, sync.stop(auth, args.connectorId));
  io.out.write(`${runJson(run, args.json)}\n`);
  return EXIT.succeeded;
}

/** The total of the connector's last successful run: a fair guess until this run knows its own. */
async function previousTotal(sync: SyncService, auth: AuthContext, run: SyncRunResponseDto): Promise<number | null> {
  const { data } = await sync.list(auth, run.connectorId, { limit: 20 });
  return data.find((r) => r.id !== run.id && r.status === 'succeeded')?.progress.total ?? null;
}

type Ending = { kind: 'final'; run: SyncRunResponseDto } | { kind: 'gone' } | { kind: 'detached' };

async function followRun(
  sync: SyncService,
  auth: AuthContext,
  run: SyncRunResponseDto,
  view: RunView,
  args: SyncCommandArgs,
  io: Terminal,
): Promise<number> {
  const changes = await sync.watch(auth, run.connectorId, run.id);
  let onInterrupt = () => {};
  const ending = await new Promise<Ending>((resolve, reject) => {
    const subscription = changes.subscribe({
      next: (event) => {
        if (event.type === 'final') {
          view.finish(event.data);
          resolve({ kind: 'final', run: event.data });
        } else {
          view.update(event.data);
        }
      },
      error: reject,
      // After a final event this changes nothing; without one, the run was deleted with its connector.
      complete: () => resolve({ kind: 'gone' }),
    });
    onInterrupt = () => {
      subscription.unsubscribe();
      resolve({ kind: 'detached' });
    };
    process.once('SIGINT', onInterrupt);
  }).finally(() => process.removeListener('SIGINT', onInterrupt));

  const tenant = /^[\w.@-]+$/.test(args.tenant) ? args.tenant : `'${args.tenant.replace(/'/g, `'\\''`)}'`;
  const hint = (verb: string) => `npm run cli -- connector ${verb} ${args.connectorId} --tenant ${tenant}`;
  switch (ending.kind) {
    case 'final':
      if (ending.run.status === 'succeeded') return EXIT.succeeded;
      io.err.write(
        ending.run.status === 'failed'
          ? `Sync ${run.id} failed: ${ending.run.error ?? 'no reason recorded'}\n`
          : `Sync ${run.id} was cancelled${ending.run.error ? ` (last error: ${ending.run.error})` : ''}\n`,
      );
      return EXIT.failed;
    case 'gone':
      view.abandon();
      io.err.write(`Sync ${run.id} is gone: its connector was deleted while it ran\n`);
      return EXIT.failed;
    case 'detached':
      view.abandon();
      io.err.write(
        `\nStopped following. Sync ${run.id} goes on in the worker: follow it again with ` +
          `"${hint('sync')} --follow", or stop it with "${hint('stop')}".\n`,
      );
      return EXIT.detached;
  }
}
