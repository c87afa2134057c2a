import {
  AnonymousCredential,
  ContainerClient,
  newPipeline,
  RestError,
  StorageSharedKeyCredential,
  type RequestPolicy,
  type RequestPolicyFactory,
  type WebResource,
} from '@azure/storage-blob';
import { safeAgents } from '@sluice/core';
import type { ConnectorContext } from '../../plugin/connector-plugin';
import {
  isAbort,
  judgeEndpoint,
  networkFailure,
  ObjectStoreError,
  type ObjectStoreLocation,
} from '../object-storage/object-storage';

/** Configuration of an Azure Blob container, as parseConfig returns it. */
export interface AzureBlobConfig extends ObjectStoreLocation {
  storageAccount: string;
  /** The account's blob service URL, e.g. https://acme.blob.core.windows.net (no trailing slash). */
  endpoint: URL;
  /** Exactly one of the three ways in. */
  accountKey?: string;
  sasToken?: string;
}

/**
 * A policy that gives every request the guard's agents: the SDK then resolves names through
 * the safe-network guard and connects to the judged address only.
 */
function agentPolicy(ctx: ConnectorContext<unknown>): RequestPolicyFactory {
  const { httpAgent, httpsAgent } = safeAgents(ctx.net, { keepAlive: false });
  return {
    create: (next: RequestPolicy): RequestPolicy => ({
      sendRequest: (request: WebResource) => {
        request.agent = request.url.startsWith('https:') ? httpsAgent : httpAgent;
        return next.sendRequest(request);
      },
    }),
  };
}

/** A client for the container; the endpoint host is judged first, so a refused one opens no socket. */
export async function openContainer(
  ctx: ConnectorContext<unknown>,
  config: AzureBlobConfig,
  timeoutMs: number,
): Promise<ContainerClient> {
  await judgeEndpoint(ctx, config.endpoint);
  const credential = config.accountKey
    ? new StorageSharedKeyCredential(config.storageAccount, config.accountKey)
    : new AnonymousCredential();
  const pipeline = newPipeline(credential, { retryOptions: { maxTries: 2, tryTimeoutInMs: timeoutMs } });
  pipeline.factories.push(agentPolicy(ctx));
  const base = config.endpoint.toString().replace(/\/$/, '');
  const sas = config.sasToken ? `?${config.sasToken.replace(/^\?/, '')}` : '';
  return new ContainerClient(`${base}/${encodeURIComponent(config.name)}${sas}`, pipeline);
}

// Azurite answers a wrong account key with AuthorizationFailure; Azure with AuthenticationFailed.
const BAD_CREDENTIALS = new Set([
  'AuthenticationFailed',
  'InvalidAuthenticationInfo',
  'NoAuthenticationInformation',
  'AuthorizationFailure',
]);
const DENIED = new Set([
  'AuthorizationPermissionMismatch',
  'AuthorizationResourceTypeMismatch',
  'AuthorizationServiceMismatch',
  'AuthorizationSourceIPMismatch',
  'AuthorizationProtocolMismatch',
  'InsufficientAccountPermissions',
]);

/** An SDK error classified; aborts pass through untouched. */
export function classifyAzure(error: unknown): unknown {
  if (isAbort(error)) return error;
  if (error instanceof RestError || (error as { statusCode?: unknown })?.statusCode !== undefined) {
    const rest = error as RestError & { details?: { errorCode?: string } };
    const status = rest.statusCode;
    const code = rest.details?.errorCode ?? rest.code ?? 'error';
    if (status === undefined) return networkFailure(error) ?? new ObjectStoreError('other', code);
    const detail = `${code}, HTTP ${status}`;
    if (code === 'ContainerNotFound') return new ObjectStoreError('store_missing', detail);
    if (code === 'BlobNotFound' || status === 404) return new ObjectStoreError('object_missing', detail);
    if (code === 'InvalidRange' || status === 416) return new ObjectStoreError('range_unsatisfiable', detail);
    if (BAD_CREDENTIALS.has(code)) return new ObjectStoreError('bad_credentials', detail);
    if (DENIED.has(code) || status === 403) return new ObjectStoreError('access_denied', detail);
    return new ObjectStoreError('other', detail);
  }
  return networkFailure(error) ?? new ObjectStoreError('other', error instanceof Error ? error.name : 'unknown error');
}

/** `Key=Value;...` pairs of an Azure Storage connection string, keys as written. */
export function parseConnectionString(text: string): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const part of text.split(';')) {
    const at = part.indexOf('=');
    if (at > 0) pairs.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  return pairs;
}
