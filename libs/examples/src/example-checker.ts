import { Injectable, Logger } from '@nestjs/common';
import { ConnectorRegistry, ConnectorService } from '@sluice/connectors';
import {
  BadRequestError,
  DomainError,
  ValidationFailedError,
  isDialect,
  type SqlDialect,
  assertSingleStatement,
  extractReferences,
  unknownReferences,
} from '@sluice/core';
import { SchemaService } from '@sluice/schema';

/**
 * The rules an example's SQL and connector must meet: the connector is the tenant's and speaks
 * SQL in the example's dialect, and the SQL is one statement of that dialect. Tables and columns
 * the connector's schema lacks are reported, not refused (the schema may be behind).
 */
@Injectable()
export class ExampleChecker {
  private readonly logger = new Logger('Examples');

  constructor(
    private readonly connectors: ConnectorService,
    private readonly registry: ConnectorRegistry,
    private readonly schema: SchemaService,
  ) {}

  /** The dialect of a connector of this tenant: 404 for none (or another tenant's), 400 when it is not SQL. */
  async connectorDialect(tenantId: string, connectorId: string): Promise<SqlDialect> {
    const connector = await this.connectors.find(tenantId, connectorId);
    const dialect = this.registry.get(connector.type).info.dialect;
    if (!isDialect(dialect)) {
      throw new BadRequestError(
        'CONNECTOR_NOT_SQL',
        `Examples are SQL for a SQL connector; connector "${connector.name}" is of type ${connector.type}`,
        [{ field: 'connectorId', messages: ['is not a SQL connector'] }],
      );
    }
    return dialect;
  }

  /** The dialect an example is written in: the connector's, which `sent` must then equal, or `sent`. */
  async resolveDialect(
    tenantId: string,
    connectorId: string | null,
    sent: SqlDialect | undefined,
  ): Promise<SqlDialect> {
    if (!connectorId) {
      if (sent) return sent;
      throw new ValidationFailedError([
        { field: 'dialect', messages: ['is required when the example has no connectorId'] },
      ]);
    }
    const dialect = await this.connectorDialect(tenantId, connectorId);
    if (sent && sent !== dialect) {
      throw new BadRequestError(
        'DIALECT_MISMATCH',
        `The connector speaks ${dialect}; the example says ${sent}. Send dialect ${dialect} or leave it out.`,
        [{ field: 'dialect', messages: [`must be ${dialect}, the dialect of the connector`] }],
      );
    }
    return dialect;
  }

  /** Refuses SQL that is not one statement of `dialect`; returns warnings about names the schema lacks. */
  async checkSql(tenantId: string, sql: string, dialect: SqlDialect, connectorId: string | null): Promise<string[]> {
    await assertSingleStatement(sql, dialect);
    if (!connectorId) return [];
    let snapshot;
    try {
      snapshot = await this.schema.snapshot(tenantId, connectorId);
    } catch (e) {
      // The example is still worth saving: the schema check is advice, not a gate.
      if (e instanceof DomainError) return [`Tables and columns were not checked: ${e.message}`];
      this.logger.warn({ err: e, tenantId, connectorId }, 'Schema unavailable for an example check');
      return ["Tables and columns were not checked: the connector's schema could not be read"];
    }
    return unknownReferences(await extractReferences(sql, dialect), snapshot);
  }
}
