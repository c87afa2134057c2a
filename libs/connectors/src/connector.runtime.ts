import { Injectable, Logger } from '@nestjs/common';
import { SecretBox, SafeNetwork } from '@sluice/core';
import { ConnectorRegistry, RegisteredPlugin } from './connector.registry';
import type { ConnectorRecord } from './connector.types';
import { validateAgainstSchema } from './plugin/config-validator';
import { ConnectorContext } from './plugin/connector-plugin';
import { ConnectorConfigError } from './plugin/connector-errors';
import { maskAuth } from './credentials';
import { hash } from 'node:crypto';

// Entries of the masked-credentials cache: a few per connector of the busiest tenants.
const MASKED_CACHE_SIZE = 10_000;

/** Credentials as an answer shows them: each field masked, as an object and as JSON text. */
export interface MaskedAuth {
  readonly fields: Readonly<Record<string, string>>;
  readonly json: string;
  /** Whether any credential field is stored (authConfigured). */
  readonly configured: boolean;
}

const NO_AUTH: MaskedAuth = Object.freeze({ fields: Object.freeze({}), json: '{}', configured: false });

export interface OpenedConnector {
  registered: RegisteredPlugin;
  /** The plugin's typed configuration, secrets included: never leaves the server. */
  parsed: unknown;
}

/**
 * Turns stored or submitted settings into what plugins need: schema-checked config, decrypted
 * credentials, a context with the safe-network guard and a deadline.
 */
@Injectable()
export class ConnectorRuntime {
  private readonly logger = new Logger('Connectors');
  /** Masked credentials (field names only, no values) by tenant and sealed text, with their JSON. */
  private readonly masked = new Map<string, MaskedAuth>();

  constructor(
    private readonly registry: ConnectorRegistry,
    private readonly secrets: SecretBox,
    private readonly net: SafeNetwork,
  ) {}

  /** Validates config and credentials against the type's schemas; 400 lists every bad field. */
  check(
    tenantId: string,
    type: string,
    config: Record<string, unknown>,
    auth: Record<string, unknown>,
  ): OpenedConnector {
    const registered = this.registry.get(type);
    const problems = [
      ...validateAgainstSchema(registered.plugin.configSchema, config, 'config'),
      // A copy: schema defaults must never be written into what the user sent as secrets.
      ...validateAgainstSchema(registered.plugin.authSchema, structuredClone(auth), 'authConfig'),
    ];
    if (problems.length) throw new ConnectorConfigError(problems);
    return { registered, parsed: registered.plugin.parseConfig(config, auth, { tenantId }) };
  }

  seal(tenantId: string, auth: Record<string, unknown>): string | null {
    return Object.keys(auth).length ? this.secrets.sealJson(auth, tenantId) : null;
  }

  unseal(entity: Pick<ConnectorRecord, 'tenantId' | 'authConfig'>): Record<string, unknown> {
    return entity.authConfig ? this.secrets.openJson<Record<string, unknown>>(entity.authConfig, entity.tenantId) : {};
  }

  /**
   * The credentials as a response shows them: field names, every value masked. Lists call this
   * for each row, and opening each sealed value (AES-GCM and a JSON parse) was a tenth of a
   * 100-connector page. A sealed text never changes (a new value is sealed with a fresh IV), so
   * what it masks to is kept by that text; the cache holds no secret, only field names.
   */
  maskedAuth(entity: Pick<ConnectorRecord, 'tenantId' | 'authConfig'>): Record<string, string> {
    return this.maskedEntry(entity).fields;
  }

  /** The masked credentials as JSON text, and whether any are stored (a list writes them as is). */
  maskedAuthJson(entity: Pick<ConnectorRecord, 'tenantId' | 'authConfig'>): MaskedAuth {
    return this.maskedEntry(entity);
  }

  private maskedEntry(entity: Pick<ConnectorRecord, 'tenantId' | 'authConfig'>): MaskedAuth {
    if (!entity.authConfig) return NO_AUTH;
    // The tenant is part of the key: a sealed text only opens in the tenant it was sealed for.
    // The text is keyed by its digest, so 10,000 entries of long sealed texts stay small; the
    // one-shot hash() spares a Hash object per row.
    const key = `${entity.tenantId}:${hash('sha256', entity.authConfig, 'base64url')}`;
    let masked = this.masked.get(key);
    if (!masked) {
      const fields = maskAuth(this.unseal(entity));
      masked = { fields, json: JSON.stringify(fields), configured: Object.keys(fields).length > 0 };
      if (this.masked.size >= MASKED_CACHE_SIZE) this.masked.delete(this.masked.keys().next().value!);
      this.masked.set(key, masked);
    }
    return masked;
  }

  open(entity: ConnectorRecord): OpenedConnector {
    return this.check(entity.tenantId, entity.type, entity.config, this.unseal(entity));
  }

  /** Closes cached pools of a connector about to go away; a broken config must not block deletion. */
  async releaseQuietly(entity: ConnectorRecord): Promise<void> {
    const registered = this.registry.list().find((r) => r.info.type === entity.type);
    await registered?.plugin.release?.(entity.id).catch(() => undefined);
  }

  context<C>(tenantId: string, connectorId: string | null, parsed: C, timeoutMs: number): ConnectorContext<C> {
    return {
      tenantId,
      connectorId,
      config: parsed,
      signal: AbortSignal.timeout(timeoutMs),
      net: this.net,
      logger: this.logger,
    };
  }
}
