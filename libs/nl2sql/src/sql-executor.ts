import { Injectable } from '@nestjs/common';
import { ConnectorRuntime } from '@sluice/connectors/connector.runtime';
import type { ConnectorRecord } from '@sluice/connectors/connector.types';
import type { QueryResult } from '@sluice/connectors/plugin/connector-plugin';
import { EnvDto } from '@sluice/core/config/env.dto';

/** Runs checked SQL on the connector: a read-only transaction unless writes were allowed, with the statement timeout and a row cap. */
@Injectable()
export class SqlExecutor {
  constructor(
    private readonly runtime: ConnectorRuntime,
    private readonly env: EnvDto,
  ) {}

  run(connector: ConnectorRecord, sql: string, writes: boolean, maxRows: number): Promise<QueryResult> {
    const { registered, parsed } = this.runtime.open(connector);
    const timeoutMs = this.env.SQL_STATEMENT_TIMEOUT_MS;
    const ctx = this.runtime.context(connector.tenantId, connector.id, parsed, timeoutMs + 5_000);
    return registered.plugin.sql!.execute(ctx, sql, { readOnly: !writes, timeoutMs, maxRows });
  }
}
