import type { JsonSchema } from '../plugin/connector-plugin';
import { ConnectorConfigError } from '../plugin/connector-errors';
import { globWildcards, MAX_GLOB_WILDCARDS } from '../plugins/folder/folder-paths';

/** Which files of a tree a file-source type (folder, SFTP) syncs. */
export interface FileSelection {
  recursive: boolean;
  include: string[];
  maxFiles: number;
}

export const DEFAULT_MAX_FILES = 100_000;

/** The config properties of a file selection, for a type's JSON Schema. */
export const FILE_SELECTION_PROPERTIES: Record<string, JsonSchema> = {
  recursive: { type: 'boolean', default: true, description: 'Include sub-folders' },
  include: {
    type: 'array',
    maxItems: 50,
    items: { type: 'string', minLength: 1, maxLength: 200 },
    description: 'Only files matching one of these patterns, e.g. ["*.csv", "reports/*.json"]',
  },
  maxFiles: {
    type: 'integer',
    minimum: 1,
    maximum: 1_000_000,
    default: DEFAULT_MAX_FILES,
    description: 'Stop discovering after this many files',
  },
};

const problem = (field: string, message: string): ConnectorConfigError =>
  new ConnectorConfigError([{ field: `config.${field}`, messages: [message] }]);

/** The selection in `config`, defaults filled in; refuses patterns too costly to match. */
export function parseFileSelection(config: Record<string, unknown>): FileSelection {
  const { recursive = true, include = [], maxFiles = DEFAULT_MAX_FILES } = config;
  if (typeof recursive !== 'boolean') throw problem('recursive', 'must be true or false');
  if (!Array.isArray(include) || !include.every((p) => typeof p === 'string' && p.length > 0 && p.length <= 200)) {
    throw problem('include', 'must be a list of patterns such as "*.csv"');
  }
  const wild = (include as string[]).findIndex((p) => globWildcards(p) > MAX_GLOB_WILDCARDS);
  if (wild >= 0) {
    throw problem(
      'include',
      `pattern ${wild + 1} has ${globWildcards((include as string[])[wild])} wildcards; at most ${MAX_GLOB_WILDCARDS} (*, ** or ?) are allowed per pattern`,
    );
  }
  if (!Number.isSafeInteger(maxFiles) || (maxFiles as number) < 1) {
    throw problem('maxFiles', 'must be a positive integer');
  }
  return { recursive, include: include as string[], maxFiles: maxFiles as number };
}
