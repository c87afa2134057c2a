import { Identity1763800000000 } from './1763800000000-identity';
import { Connectors1763900000000 } from './1763900000000-connectors';
import { Documents1764000000000 } from './1764000000000-documents';

/** Every migration, oldest first. Listed by hand so the build bundles them and nothing is globbed. */
export const MIGRATIONS = [Identity1763800000000, Connectors1763900000000, Documents1764000000000];
