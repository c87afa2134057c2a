import { Injectable } from '@nestjs/common';
import type { MemberAccess } from '../repositories/membership.repository';

/** How long a caller's role and token generation are trusted without reading them again. */
export const MEMBER_ACCESS_TTL_MS = 2_000;
const MAX_ENTRIES = 10_000;

interface Entry {
  access: MemberAccess;
  expires: number;
}

/**
 * The role, account state and token generation of recent callers, kept for at most
 * MEMBER_ACCESS_TTL_MS. Every authenticated request needs them, and reading them was a database
 * round trip per request, the largest part of an authenticated request's cost after the route's
 * own work.
 *
 * Staleness is bounded twice over: in this instance, a change made through the API (role, disable,
 * password, sign-out everywhere, removal) forgets the user's entries once it has committed, so it
 * takes effect at the next request; other API instances, and changes made outside the API (the
 * CLI, SQL), are seen within MEMBER_ACCESS_TTL_MS. Only members are kept: a refusal is read again.
 */
@Injectable()
export class MemberAccessCache {
  private readonly entries = new Map<string, Entry>();
  // Bumped by every forget: a read that began before a change must not store what it read.
  private version = 0;
  /** The clock, replaceable by tests. */
  now: () => number = Date.now;

  /** The cached access of a user in a tenant, or else what `load` reads (kept when it is a member). */
  async get(tenantId: string, userId: string, load: () => Promise<MemberAccess | null>): Promise<MemberAccess | null> {
    const key = `${tenantId}:${userId}`;
    const hit = this.entries.get(key);
    if (hit && hit.expires > this.now()) return hit.access;
    if (hit) this.entries.delete(key);
    const version = this.version;
    const access = await load();
    if (access && version === this.version) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, { access, expires: this.now() + MEMBER_ACCESS_TTL_MS });
    }
    return access;
  }

  /** Forgets a user in every tenant; call after the change has committed. */
  forgetUser(userId: string): void {
    this.version++;
    const suffix = `:${userId}`;
    for (const key of this.entries.keys()) if (key.endsWith(suffix)) this.entries.delete(key);
  }
}
