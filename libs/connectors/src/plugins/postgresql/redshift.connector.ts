import { EnvDto } from '@sluice/core';
import { ConnectorPlugin } from '../../plugin/connector-plugin.decorator';
import { NETWORK_DESTINATION_FIELDS } from '../sql-common/network-sql-config';
import { PostgresFlavor, PostgresqlConnector } from './postgresql.connector';
import { REDSHIFT_DIALECT } from './redshift.dialect';

const REDSHIFT: PostgresFlavor = {
  dialect: REDSHIFT_DIALECT.name,
  product: 'Amazon Redshift',
  defaultPort: REDSHIFT_DIALECT.defaultPort,
  hostExample: 'examplecluster.abc123xyz789.us-west-2.redshift.amazonaws.com',
};

/**
 * Amazon Redshift speaks the PostgreSQL wire protocol and keeps a pg_catalog of the same shape,
 * so it shares the PostgreSQL code path; only its dialect, name and default port differ.
 */
@ConnectorPlugin({
  type: 'redshift',
  category: 'sql',
  displayName: 'Amazon Redshift',
  description: 'An Amazon Redshift cluster or Serverless workgroup, reached with a database user and password.',
  readiness: 'ready',
  capabilities: ['test', 'introspect', 'execute', 'discover'],
  dialect: REDSHIFT_DIALECT,
  destinationFields: NETWORK_DESTINATION_FIELDS,
})
export class RedshiftConnector extends PostgresqlConnector {
  // Declared so the dependency-injection metadata is emitted for this class itself.
  constructor(env: EnvDto) {
    super(env);
  }

  protected override flavor(): PostgresFlavor {
    return REDSHIFT;
  }
}
