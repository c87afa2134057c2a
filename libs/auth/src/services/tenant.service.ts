import { Injectable, Logger } from '@nestjs/common';
import { ConflictError } from '@sluice/core';
import { EntityManager } from 'typeorm';
import { TenantEntity } from '../entities/tenant.entity';
import { MembershipRepository } from '../repositories/membership.repository';
import { TenantRepository } from '../repositories/tenant.repository';
import { UserRepository } from '../repositories/user.repository';
import { Role } from '../role';
import { PasswordService } from './password.service';

interface PreparedAccount {
  email: string;
  name: string;
  existingId?: string;
  passwordHash?: string;
}

export interface TenantWithAdmin {
  tenant: TenantEntity;
  adminUserId: string;
}

/** Tenant administration for the CLI and the first start (there is no HTTP route to create tenants). */
@Injectable()
export class TenantService {
  private readonly logger = new Logger('Tenants');

  constructor(
    private readonly tenants: TenantRepository,
    private readonly users: UserRepository,
    private readonly memberships: MembershipRepository,
    private readonly passwords: PasswordService,
  ) {}

  count(): Promise<number> {
    return this.tenants.count();
  }

  findByIdOrName(idOrName: string): Promise<TenantEntity | null> {
    return this.tenants.findById(idOrName).then((t) => t ?? this.tenants.findByName(idOrName));
  }

  /** Creates a tenant and makes `email` its admin (creating the account when it does not exist). */
  async createWithAdmin(name: string, email: string, password: string): Promise<TenantWithAdmin> {
    if (await this.tenants.findByName(name))
      throw new ConflictError('TENANT_EXISTS', `Tenant "${name}" already exists`);
    const account = await this.prepareAccount(email, password, 'Administrator');
    return this.memberships.transaction(async (manager) => {
      const tenant = await this.tenants.insert(name, manager);
      const adminUserId = await this.join(manager, tenant.id, account, 'admin');
      return { tenant, adminUserId };
    });
  }

  /**
   * Adds a user to a tenant with a role. An e-mail that already has an account (in another
   * tenant) joins as it is, keeping its password; otherwise the account is created.
   */
  async addUser(tenantId: string, email: string, password: string, role: Role, name = ''): Promise<string> {
    const account = await this.prepareAccount(email, password, name);
    if (account.existingId && (await this.memberships.findMember(tenantId, account.existingId))) {
      throw new ConflictError('USER_EXISTS', 'A user with this e-mail is already in this tenant');
    }
    return this.memberships.transaction((manager) => this.join(manager, tenantId, account, role));
  }

  // Hashing is slow, so it happens before the transaction opens.
  private async prepareAccount(email: string, password: string, name: string): Promise<PreparedAccount> {
    const existing = await this.users.findByEmail(email);
    if (existing) return { email, name, existingId: existing.id };
    return { email: email.trim(), name: name.trim(), passwordHash: await this.passwords.hash(password) };
  }

  private async join(manager: EntityManager, tenantId: string, account: PreparedAccount, role: Role): Promise<string> {
    const userId =
      account.existingId ??
      (
        await this.users.insert(
          { email: account.email, name: account.name, passwordHash: account.passwordHash! },
          manager,
        )
      ).id;
    await this.memberships.insert(tenantId, userId, role, manager);
    return userId;
  }

  /**
   * On a first start (no tenant at all) creates the bootstrap tenant and admin. Several API
   * instances may start together: the unique tenant name lets only one of them win.
   */
  async bootstrap(name: string, email: string, password: string): Promise<boolean> {
    if ((await this.tenants.count()) > 0) return false;
    try {
      await this.createWithAdmin(name, email, password);
    } catch (e) {
      if (e instanceof ConflictError || (e as { code?: string }).code === '23505') return false;
      throw e;
    }
    this.logger.log(`Created tenant "${name}" with admin ${email}`);
    return true;
  }
}
