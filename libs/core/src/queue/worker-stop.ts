/**
 * The worker process's stop request. A signal is process-wide, and so is this flag: the worker's
 * main sets it on SIGTERM before closing the queues (which wait for the jobs in flight), and a
 * long job reads it between its steps, stops at the next boundary and is retried elsewhere.
 */
let requested = false;

export const workerStop = {
  request(): void {
    requested = true;
  },
  get requested(): boolean {
    return requested;
  },
};

/** Thrown by a job that stopped at a step boundary because its worker is going away. */
export class WorkerStoppingError extends Error {
  constructor() {
    super('The worker is stopping; the job continues on another worker');
    this.name = 'WorkerStoppingError';
  }
}
