import { BadRequestError, isId } from '@sluice/core';
import type { Request } from 'express';

/** The tenant picked with `X-Tenant-Id`, if any; a malformed id is a 400, not a silent default. */
export function requestedTenant(req: Request): string | undefined {
  const value = req.header('x-tenant-id')?.trim();
  if (!value) return undefined;
  if (!isId('tenant', value))
    throw new BadRequestError('INVALID_TENANT_HEADER', 'X-Tenant-Id must be a tenant id such as ten_0f3k9q2m7x1c5v8b');
  return value;
}
