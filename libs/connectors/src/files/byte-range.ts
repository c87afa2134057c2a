import { BadRequestError } from '@sluice/core';

/**
 * Refuses a byte range that is not non-negative integers with end ≥ start (end inclusive), with
 * the 400 INVALID_RANGE every file-reading type answers alike.
 */
export function assertByteRange(range: { start?: number; end?: number }): void {
  const { start, end } = range;
  if (
    [start, end].some((n) => n !== undefined && (!Number.isSafeInteger(n) || n < 0)) ||
    (start !== undefined && end !== undefined && end < start)
  ) {
    throw new BadRequestError('INVALID_RANGE', 'The byte range must be non-negative integers with end ≥ start');
  }
}
