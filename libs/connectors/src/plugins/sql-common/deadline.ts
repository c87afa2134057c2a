/** Why a bounded call stopped before it finished. */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';

  constructor(
    readonly reason: 'timeout' | 'aborted',
    readonly timeoutMs: number,
  ) {
    super(reason === 'timeout' ? `Timed out after ${timeoutMs} ms` : 'Cancelled');
  }
}

/**
 * Waits for `work` at most `timeoutMs` and no longer than `signal` stays unaborted. When either
 * fires first, `onExpire` runs (it should tear down the socket the work is blocked on, so nothing
 * keeps running unseen) and the promise rejects with a {@link DeadlineError}.
 */
export function withDeadline<T>(
  work: () => Promise<T>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  onExpire: () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (action: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      action();
    };
    const expire = (reason: 'timeout' | 'aborted') =>
      finish(() => {
        try {
          onExpire();
        } finally {
          reject(new DeadlineError(reason, timeoutMs));
        }
      });
    const onAbort = () => expire('aborted');
    const timer = setTimeout(() => expire('timeout'), timeoutMs);
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    work().then(
      (value) => finish(() => resolve(value)),
      (error: unknown) => finish(() => reject(error)),
    );
  });
}
