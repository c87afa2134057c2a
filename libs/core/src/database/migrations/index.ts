import { Identity1763800000000 } from './1763800000000-identity';
import { Connectors1763900000000 } from './1763900000000-connectors';
import { Documents1764000000000 } from './1764000000000-documents';
import { Schema1764100000000 } from './1764100000000-schema';
import { Examples1764200000000 } from './1764200000000-examples';
import { History1764300000000 } from './1764300000000-history';
import { MillisecondCursors1764400000000 } from './1764400000000-millisecond-cursors';
import { Nl2sql1764500000000 } from './1764500000000-nl2sql';
import { TokenGeneration1764610000000 } from './1764610000000-token-generation';
import { Invitations1764620000000 } from './1764620000000-invitations';
import { ExamplesDialectCheck1764700000000 } from './1764700000000-examples-dialect-check';
import { TenantScopedReferences1764750000000 } from './1764750000000-tenant-scoped-references';
import { SchemaSnapshotWrites1764800000000 } from './1764800000000-schema-snapshot-writes';
import { DocumentsSingleKeys1764850000000 } from './1764850000000-documents-single-keys';
import { SchemaSnapshotText1764880000000 } from './1764880000000-schema-snapshot-text';

/** Every migration, oldest first. Listed by hand so the build bundles them and nothing is globbed. */
export const MIGRATIONS = [
  Identity1763800000000,
  Connectors1763900000000,
  Documents1764000000000,
  Schema1764100000000,
  Examples1764200000000,
  History1764300000000,
  MillisecondCursors1764400000000,
  Nl2sql1764500000000,
  TokenGeneration1764610000000,
  Invitations1764620000000,
  ExamplesDialectCheck1764700000000,
  TenantScopedReferences1764750000000,
  SchemaSnapshotWrites1764800000000,
  DocumentsSingleKeys1764850000000,
  SchemaSnapshotText1764880000000,
];
