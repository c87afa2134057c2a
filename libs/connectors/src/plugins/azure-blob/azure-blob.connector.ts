import type { ContainerClient } from '@azure/storage-blob';
import { EnvDto } from '@sluice/core';
import type { Readable } from 'node:stream';
import type {
  ByteRange,
  ConnectorContext,
  ConnectorPlugin as ConnectorPluginContract,
  DiscoveredItem,
  JsonSchema,
  ProbeOutcome,
} from '../../plugin/connector-plugin';
import { ConnectorPlugin } from '../../plugin/connector-plugin.decorator';
import {
  bounded,
  emptyStream,
  failureMessage,
  inItemBatches,
  maxObjectsSchema,
  normalizePrefix,
  objectKey,
  ObjectStoreError,
  optionalString,
  parseEndpoint,
  parseMaxObjects,
  prefixSchema,
  PROBE_PAGE_SIZE,
  problem,
  rangeHeader,
  reachableOutcome,
  requestError,
  requiredString,
  toItem,
  type ListedObject,
} from '../object-storage/object-storage';
import { classifyAzure, openContainer, parseConnectionString, type AzureBlobConfig } from './azure-blob-client';

export type { AzureBlobConfig } from './azure-blob-client';

const CONTAINER = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;
const ACCOUNT = /^[a-z0-9]{3,24}$/;

const CONFIG_SCHEMA: JsonSchema = {
  type: 'object',
  title: 'Azure Blob container',
  required: ['container', 'storageAccount'],
  additionalProperties: false,
  properties: {
    container: {
      type: 'string',
      title: 'Container',
      minLength: 3,
      maxLength: 63,
      description: 'Container name (3 to 63 lower-case letters, digits and single hyphens).',
      examples: ['exports'],
    },
    storageAccount: {
      type: 'string',
      title: 'Storage account',
      minLength: 3,
      maxLength: 24,
      description: 'Storage account name (3 to 24 lower-case letters and digits).',
      examples: ['acmedata'],
    },
    prefix: prefixSchema('exports/2026/'),
    endpoint: {
      type: 'string',
      title: 'Blob endpoint',
      maxLength: 2048,
      description:
        'The blob service URL, for Azurite, sovereign clouds or private endpoints. Defaults to ' +
        'https://<storageAccount>.blob.core.windows.net (or the BlobEndpoint of a connection string).',
      examples: ['http://127.0.0.1:10000/devstoreaccount1'],
    },
    maxObjects: maxObjectsSchema,
  },
};

const AUTH_SCHEMA: JsonSchema = {
  type: 'object',
  title: 'Credentials (one of them)',
  additionalProperties: false,
  properties: {
    connectionString: {
      type: 'string',
      title: 'Connection string',
      maxLength: 4096,
      description: 'DefaultEndpointsProtocol=https;AccountName=...;AccountKey=... (or SharedAccessSignature=...).',
    },
    accountKey: { type: 'string', title: 'Account key', maxLength: 512 },
    sasToken: {
      type: 'string',
      title: 'SAS token',
      maxLength: 4096,
      description: 'A shared access signature with list and read permissions on the container.',
    },
  },
};

/**
 * A container of an Azure Storage account (or Azurite). Blobs under the prefix become documents
 * (ETag as checksum); reads stream ranged downloads.
 */
@ConnectorPlugin({
  type: 'azure_blob',
  category: 'object_storage',
  displayName: 'Azure Blob Storage',
  description: 'Blobs of an Azure Storage container, read with a connection string, an account key or a SAS token.',
  readiness: 'ready',
  capabilities: ['test', 'discover', 'read'],
  destinationFields: ['container', 'storageAccount', 'endpoint'],
})
export class AzureBlobConnector implements ConnectorPluginContract<AzureBlobConfig> {
  readonly configSchema = CONFIG_SCHEMA;
  readonly authSchema = AUTH_SCHEMA;

  constructor(private readonly env: EnvDto) {}

  parseConfig(config: Record<string, unknown>, auth: Record<string, unknown>): AzureBlobConfig {
    const name = requiredString(config.container, 'config.container', 'container');
    if (!CONTAINER.test(name)) {
      throw problem('config.container', 'must be 3 to 63 lower-case letters, digits and single hyphens');
    }
    const storageAccount = requiredString(config.storageAccount, 'config.storageAccount', 'storageAccount');
    if (!ACCOUNT.test(storageAccount)) {
      throw problem('config.storageAccount', 'must be 3 to 24 lower-case letters and digits');
    }
    const given = (['connectionString', 'accountKey', 'sasToken'] as const).filter(
      (field) => optionalString(auth[field], `authConfig.${field}`) !== undefined,
    );
    if (given.length !== 1) {
      throw problem('authConfig', 'give exactly one of connectionString, accountKey or sasToken');
    }
    let accountKey = optionalString(auth.accountKey, 'authConfig.accountKey');
    let sasToken = optionalString(auth.sasToken, 'authConfig.sasToken');
    let endpoint = parseEndpoint(config.endpoint, 'config.endpoint');
    const connection = optionalString(auth.connectionString, 'authConfig.connectionString');
    if (connection !== undefined) {
      const pairs = parseConnectionString(connection);
      const account = pairs.get('AccountName');
      if (account !== undefined && account !== storageAccount) {
        throw problem('authConfig.connectionString', 'names another account than config.storageAccount');
      }
      accountKey = pairs.get('AccountKey') || undefined;
      sasToken = pairs.get('SharedAccessSignature') || undefined;
      if (!accountKey && !sasToken) {
        throw problem('authConfig.connectionString', 'must carry AccountKey or SharedAccessSignature');
      }
      endpoint ??= parseEndpoint(pairs.get('BlobEndpoint'), 'authConfig.connectionString');
      if (!endpoint) {
        const protocol = pairs.get('DefaultEndpointsProtocol') === 'http' ? 'http' : 'https';
        const suffix = pairs.get('EndpointSuffix') || 'core.windows.net';
        endpoint = parseEndpoint(`${protocol}://${storageAccount}.blob.${suffix}`, 'authConfig.connectionString');
      }
    }
    return {
      name,
      storageAccount,
      prefix: normalizePrefix(config.prefix),
      maxObjects: parseMaxObjects(config.maxObjects),
      endpoint: endpoint ?? new URL(`https://${storageAccount}.blob.core.windows.net`),
      ...(accountKey ? { accountKey } : {}),
      ...(sasToken ? { sasToken } : {}),
    };
  }

  async test(ctx: ConnectorContext<AzureBlobConfig>): Promise<ProbeOutcome> {
    // Outside the try: a refused endpoint is the caller's to report, not a failed probe.
    const container = await openContainer(ctx, ctx.config, this.env.CONNECTOR_PROBE_TIMEOUT_MS);
    try {
      const abortSignal = bounded(ctx.signal, this.env.CONNECTOR_PROBE_TIMEOUT_MS);
      const pages = container
        .listBlobsFlat({ prefix: ctx.config.prefix || undefined, abortSignal })
        .byPage({ maxPageSize: PROBE_PAGE_SIZE });
      const first = await classified(() => pages.next(), abortSignal);
      const page = first.done ? [] : first.value.segment.blobItems.map(listed);
      const more = !first.done && Boolean(first.value.continuationToken);
      return reachableOutcome('container', ctx.config, page, more, {
        container: ctx.config.name,
        storageAccount: ctx.config.storageAccount,
      });
    } catch (error) {
      return { success: false, message: this.failure(ctx.config, error), details: {} };
    }
  }

  async *discover(ctx: ConnectorContext<AzureBlobConfig>): AsyncIterable<DiscoveredItem[]> {
    const container = await openContainer(ctx, ctx.config, this.env.CONNECTOR_PROBE_TIMEOUT_MS);
    yield* inItemBatches(ctx, ctx.config, this.pages(ctx, container));
  }

  async lookup(ctx: ConnectorContext<AzureBlobConfig>, externalId: string): Promise<DiscoveredItem | null> {
    const key = objectKey(ctx.config, externalId);
    const container = await openContainer(ctx, ctx.config, this.env.CONNECTOR_PROBE_TIMEOUT_MS);
    try {
      const props = await container.getBlobClient(key).getProperties({ abortSignal: ctx.signal });
      return toItem(ctx.config, {
        key,
        size: props.contentLength ?? 0,
        checksum: props.etag?.replace(/^"|"$/g, ''),
        contentType: props.contentType,
        modifiedAt: props.lastModified,
      });
    } catch (error) {
      const failure = classifyAzure(error);
      if (failure instanceof ObjectStoreError && failure.failure === 'object_missing') return null;
      throw requestError('container', ctx.config.name, failure, ctx.config.endpoint.host);
    }
  }

  /** Streams one blob below the prefix; `range.end` is inclusive. */
  async read(
    ctx: ConnectorContext<AzureBlobConfig>,
    item: Pick<DiscoveredItem, 'externalId' | 'path'>,
    range: ByteRange = {},
  ): Promise<Readable> {
    const key = objectKey(ctx.config, item.externalId);
    rangeHeader(range);
    const container = await openContainer(ctx, ctx.config, this.env.CONNECTOR_PROBE_TIMEOUT_MS);
    const offset = range.start ?? 0;
    const count = range.end === undefined ? undefined : range.end - offset + 1;
    try {
      const response = await container.getBlobClient(key).download(offset, count, { abortSignal: ctx.signal });
      const body = response.readableStreamBody as Readable | undefined;
      if (!body) return emptyStream();
      return body;
    } catch (error) {
      const failure = classifyAzure(error);
      if (failure instanceof ObjectStoreError && failure.failure === 'range_unsatisfiable') return emptyStream();
      throw requestError('container', ctx.config.name, failure, ctx.config.endpoint.host);
    }
  }

  private async *pages(
    ctx: ConnectorContext<AzureBlobConfig>,
    container: ContainerClient,
  ): AsyncIterable<ListedObject[]> {
    const pages = container
      .listBlobsFlat({ prefix: ctx.config.prefix || undefined, abortSignal: ctx.signal })
      .byPage({ maxPageSize: PROBE_PAGE_SIZE });
    try {
      while (true) {
        const next = await classified(() => pages.next(), ctx.signal);
        if (next.done) return;
        yield next.value.segment.blobItems.map(listed);
        if (!next.value.continuationToken) return;
      }
    } catch (error) {
      throw requestError('container', ctx.config.name, error, ctx.config.endpoint.host);
    }
  }

  private failure(config: AzureBlobConfig, error: unknown): string {
    return failureMessage('container', config.name, error, config.endpoint.host);
  }
}

/** The listing's pager takes no signal per page: the wait is cut short instead, classified. */
async function classified<T>(work: () => Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work(), aborted]);
  } catch (error) {
    throw classifyAzure(error);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function listed(blob: {
  name: string;
  properties: { contentLength?: number; etag?: string; contentType?: string; lastModified?: Date };
}): ListedObject {
  return {
    key: blob.name,
    size: blob.properties.contentLength ?? 0,
    checksum: blob.properties.etag?.replace(/^"|"$/g, ''),
    contentType: blob.properties.contentType,
    modifiedAt: blob.properties.lastModified,
  };
}
