import { ServiceUnavailableError } from '@sluice/core';
import { ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { ConnectorRequestError } from '../../plugin/connector-errors';

export interface SqlitePoolOptions {
  /** Child processes at most, each running one task at a time. */
  size: number;
  /** Tasks waiting for a free process at most; more are refused with 503. */
  queueLimit: number;
  /** Heap of each child, MiB. */
  maxHeapMb?: number;
}

/** What a child answers for one task. */
export type ChildReply<T> =
  { id: number; ok: true; value: T } | { id: number; ok: false; code: string; message: string };

/** A failure the child reported for a task: the SQLite code and message, for the caller to phrase. */
export class SqliteTaskError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'SqliteTaskError';
  }
}

interface Task {
  id: number;
  request: Record<string, unknown>;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer?: NodeJS.Timeout;
  signal: AbortSignal;
  onAbort: () => void;
  child?: PooledChild;
  settled: boolean;
}

interface PooledChild {
  process: ChildProcess;
  stderr: string;
  task?: Task;
}

/**
 * A bounded pool of Node child processes that open SQLite files with better-sqlite3. SQLite work
 * on a file a tenant uploaded (a query, or introspection, which compiles every view) can take
 * any time and is synchronous: run in the API process it would block the event loop, and a
 * worker thread cannot be stopped while SQLite is inside one step (terminate waits for the step
 * to return). A process can be killed at once, so a deadline really stops the work.
 *
 * At most `size` processes run, each one task at a time, and are reused; further tasks wait in a
 * queue of at most `queueLimit`. Each task has a deadline counted from when it was asked for,
 * queueing included: past it, a waiting task leaves the queue and a running one's process is
 * killed (and replaced on demand).
 */
export class SqliteProcessPool {
  private readonly idle: PooledChild[] = [];
  private readonly busy = new Set<PooledChild>();
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly childSource: string,
    private readonly childArgs: string[],
    private readonly options: SqlitePoolOptions,
  ) {}

  /** Processes alive (idle or busy) and tasks waiting: for tests and metrics. */
  get stats(): { idle: number; busy: number; queued: number } {
    return { idle: this.idle.length, busy: this.busy.size, queued: this.queue.length };
  }

  /**
   * Runs one task in a child. Rejects with SQL_TIMEOUT past `timeoutMs`, QUERY_CANCELLED when
   * `signal` aborts, 503 SQLITE_BUSY when the queue is full, SqliteTaskError when the child
   * reports a failure, and SQL_ERROR when the child dies (out of memory, killed).
   */
  run<T>(
    request: Record<string, unknown>,
    timeoutMs: number,
    signal: AbortSignal,
    timeoutError: () => Error = () =>
      new ConnectorRequestError('SQL_TIMEOUT', `Query exceeded the statement timeout of ${timeoutMs} ms`),
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.closed)
        return reject(new ServiceUnavailableError('SQLITE_UNAVAILABLE', 'The SQLite runner is shutting down'));
      const task: Task = {
        id: this.nextId++,
        request,
        resolve: resolve as (value: unknown) => void,
        reject,
        signal,
        settled: false,
        onAbort: () => this.fail(task, new ConnectorRequestError('QUERY_CANCELLED', 'The query was cancelled')),
      };
      if (signal.aborted) return task.onAbort();
      if (this.busy.size >= this.options.size && this.queue.length >= this.options.queueLimit) {
        return reject(
          new ServiceUnavailableError(
            'SQLITE_BUSY',
            `Too many SQLite tasks are waiting (SQLITE_QUEUE_LIMIT ${this.options.queueLimit}); try again shortly`,
          ),
        );
      }
      signal.addEventListener('abort', task.onAbort, { once: true });
      task.timer = setTimeout(() => this.fail(task, timeoutError()), timeoutMs);
      this.queue.push(task);
      this.dispatch();
    });
  }

  /** Kills every process and refuses what waits. */
  close(): void {
    this.closed = true;
    for (const task of this.queue.splice(0)) {
      this.settle(task, () =>
        task.reject(new ServiceUnavailableError('SQLITE_UNAVAILABLE', 'The SQLite runner is shutting down')),
      );
    }
    for (const child of [...this.idle.splice(0), ...this.busy]) child.process.kill('SIGKILL');
    for (const child of this.busy)
      if (child.task)
        this.fail(child.task, new ServiceUnavailableError('SQLITE_UNAVAILABLE', 'The SQLite runner is shutting down'));
  }

  private dispatch(): void {
    while (!this.closed && this.queue.length > 0 && this.busy.size < this.options.size) {
      const task = this.queue.shift()!;
      const child = this.idle.pop() ?? this.spawnChild();
      child.task = task;
      child.stderr = '';
      task.child = child;
      this.busy.add(child);
      child.process.channel?.ref();
      child.process.send({ ...task.request, id: task.id });
    }
  }

  private spawnChild(): PooledChild {
    // An empty environment: the child needs nothing of ours, least of all secrets.
    const process_ = spawn(
      process.execPath,
      [`--max-old-space-size=${this.options.maxHeapMb ?? 512}`, '-e', this.childSource, ...this.childArgs],
      { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: {} },
    );
    const child: PooledChild = { process: process_, stderr: '' };
    process_.unref();
    // Idle children must not keep the server (or a test run) alive; busy ones ref their channel.
    (process_.stderr as Socket | null)?.unref();
    process_.stderr?.on('data', (chunk: Buffer) => {
      if (child.stderr.length < 2000) child.stderr += chunk.toString('utf8');
    });
    process_.on('message', (reply: ChildReply<unknown>) => {
      const task = child.task;
      if (!task || reply.id !== task.id) return;
      this.release(child, true);
      if (reply.ok) this.settle(task, () => task.resolve(reply.value));
      else this.settle(task, () => task.reject(new SqliteTaskError(reply.code, reply.message)));
      this.dispatch();
    });
    process_.on('error', () => this.lost(child, 'could not be started'));
    process_.on('exit', (code, sig) => this.lost(child, sig ? `was stopped by ${sig}` : `exited with code ${code}`));
    return child;
  }

  /** A child died: its task (if any) fails, and it is never reused. */
  private lost(child: PooledChild, why: string): void {
    const index = this.idle.indexOf(child);
    if (index >= 0) this.idle.splice(index, 1);
    const task = child.task;
    this.release(child, false);
    if (task) {
      const heap = /heap out of memory/i.test(child.stderr) ? ' (out of memory: ask for fewer or smaller rows)' : '';
      this.settle(task, () => task.reject(new ConnectorRequestError('SQL_ERROR', `The SQLite runner ${why}${heap}`)));
    }
    this.dispatch();
  }

  private release(child: PooledChild, reusable: boolean): void {
    if (!this.busy.delete(child)) return;
    child.task = undefined;
    if (reusable && !this.closed && child.process.connected) {
      child.process.channel?.unref();
      this.idle.push(child);
    }
  }

  /** Deadline or cancellation: leave the queue, or kill the process doing the work. */
  private fail(task: Task, error: Error): void {
    if (task.settled) return;
    const queued = this.queue.indexOf(task);
    if (queued >= 0) this.queue.splice(queued, 1);
    const child = task.child;
    if (child && child.task === task) {
      this.release(child, false);
      child.process.kill('SIGKILL');
    }
    this.settle(task, () => task.reject(error));
    this.dispatch();
  }

  private settle(task: Task, action: () => void): void {
    if (task.settled) return;
    task.settled = true;
    clearTimeout(task.timer);
    task.signal.removeEventListener('abort', task.onAbort);
    action();
  }
}
