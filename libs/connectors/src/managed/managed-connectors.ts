import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { EnvDto, readEnvironment } from '@sluice/core';
import { readFileSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { parse } from 'yaml';
import { ConnectorRepository } from '../connector.repository';
import { ConnectorRuntime } from '../connector.runtime';

interface Declared {
  tenant: string;
  name: string;
  type: string;
  role?: 'source' | 'destination';
  description?: string;
  config?: Record<string, unknown>;
  authConfig?: Record<string, unknown>;
}

/** Fails start-up with a message naming the file and the entry, so operators can fix it. */
export class ProvisioningError extends Error {}

const REFERENCE = /\$\{([A-Z_][A-Z0-9_]*)\}/g;

/** Replaces `${VAR}` in every string of a value; a variable that is not set is an error. */
function substitute(value: unknown, vars: Record<string, string | undefined>, where: string): unknown {
  if (typeof value === 'string') {
    return value.replace(REFERENCE, (_, name: string) => {
      const found = vars[name];
      if (found === undefined) throw new ProvisioningError(`${where}: environment variable ${name} is not set`);
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, vars, where));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, vars, where)]));
  }
  return value;
}

/**
 * Connectors kept in git: CONNECTORS_FILE (YAML, `connectors: [...]`) is applied at start,
 * creating or updating each entry by tenant and name and marking it managed, which the API
 * then refuses to edit or delete. Secrets come from `${ENV_VAR}` references.
 */
@Injectable()
export class ManagedConnectorsProvisioner {
  private readonly logger = new Logger('ManagedConnectors');

  constructor(
    private readonly env: EnvDto,
    private readonly repo: ConnectorRepository,
    private readonly runtime: ConnectorRuntime,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async provision(): Promise<number> {
    const file = this.env.CONNECTORS_FILE;
    if (!file) return 0;
    const entries = this.read(file);
    const vars = readEnvironment();
    for (const [index, raw] of entries.entries()) {
      const where = `${file}, connectors[${index}] (${raw.name})`;
      await this.apply(substitute(raw, vars, where) as Declared, where);
    }
    this.logger.log(`Applied ${entries.length} managed connector(s) from ${file}`);
    return entries.length;
  }

  private read(file: string): Declared[] {
    let doc: unknown;
    try {
      doc = parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new ProvisioningError(`CONNECTORS_FILE ${file} cannot be read as YAML: ${(e as Error).message}`);
    }
    const list = (doc as { connectors?: unknown } | null)?.connectors;
    if (!Array.isArray(list))
      throw new ProvisioningError(`CONNECTORS_FILE ${file} must hold a list under "connectors:"`);
    for (const [i, entry] of list.entries()) {
      const e = entry as Partial<Declared> | null;
      if (!e || typeof e.tenant !== 'string' || typeof e.name !== 'string' || typeof e.type !== 'string') {
        throw new ProvisioningError(`${file}, connectors[${i}]: tenant, name and type are required`);
      }
    }
    return list as Declared[];
  }

  private async apply(entry: Declared, where: string): Promise<void> {
    const tenantRows: Array<{ id: string }> = await this.dataSource.query(
      'SELECT id FROM tenants WHERE id = $1 OR lower(name) = lower($1)',
      [entry.tenant],
    );
    if (!tenantRows.length) throw new ProvisioningError(`${where}: no tenant "${entry.tenant}"`);
    const tenantId = tenantRows[0].id;
    const config = entry.config ?? {};
    const secrets = entry.authConfig ?? {};
    try {
      this.runtime.check(tenantId, entry.type, config, secrets);
    } catch (e) {
      const details = (e as { details?: Array<{ field: string; messages: string[] }> }).details ?? [];
      const problems = details.map((d) => `${d.field} ${d.messages.join(', ')}`).join('; ');
      throw new ProvisioningError(`${where}: ${(e as Error).message}${problems ? `: ${problems}` : ''}`);
    }
    const existing = await this.repo.findByName(tenantId, entry.name);
    const values = {
      type: entry.type,
      role: entry.role ?? ('source' as const),
      description: entry.description ?? '',
      config,
      authConfig: this.runtime.seal(tenantId, secrets),
      managed: true,
    };
    if (existing) {
      await this.repo.update(tenantId, existing.id, values);
      await this.runtime.releaseQuietly(existing);
      return;
    }
    await this.repo.insert({
      tenantId,
      name: entry.name,
      authMethod: null,
      status: 'pending',
      createdBy: null,
      ...values,
    });
  }
}
