import { DomainError } from '../errors/domain-error';
import { SafeNetworkError } from '../network/safe-network';

/** Failures that another attempt cannot fix: bad configuration, refused address, missing connector. */
export function isPermanent(error: unknown): boolean {
  return error instanceof SafeNetworkError || (error instanceof DomainError && error.status < 500);
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** True when Bull will not run this job again after the current attempt fails. */
export function isLastAttempt(job: { attemptsMade: number; opts: { attempts?: number } }): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}
