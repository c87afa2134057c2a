import { Injectable } from '@nestjs/common';
import { ConnectorRuntime } from '@sluice/connectors';
import type { ConnectorRecord, QueryResult } from '@sluice/connectors';
import { EnvDto } from '@sluice/core';

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
