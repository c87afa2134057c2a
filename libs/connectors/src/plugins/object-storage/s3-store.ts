import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { safeAgents } from '@sluice/core';
import type { Readable } from 'node:stream';
import type { ConnectorContext } from '../../plugin/connector-plugin';
import {
  emptyStream,
  isAbort,
  judgeEndpoint,
  networkFailure,
  ObjectStoreError,
  type ListedObject,
  type ObjectStoreLocation,
} from './object-storage';

/**
 * Everything needed to talk to one bucket over the S3 REST API: Amazon S3 itself, an
 * S3-compatible store, or Google Cloud Storage's XML API with HMAC keys.
 */
export interface S3Target extends ObjectStoreLocation {
  region: string;
  /** Explicit endpoint; undefined for AWS, which derives it from the region. */
  endpoint?: URL;
  forcePathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** The endpoint a target talks to, for resolving and for messages. */
export function s3Endpoint(target: S3Target): URL {
  return target.endpoint ?? new URL(`https://s3.${target.region}.amazonaws.com`);
}

/** The endpoint as `host[:port]`, without path, for messages. */
export const endpointLabel = (url: URL): string => url.host;

/**
 * A client for one operation, its sockets judged by the safe-network guard. The host is resolved
 * (and refused) first, so a refused endpoint never gets as far as a socket. Explicit
 * credentials only: the SDK's default chain (environment, instance metadata) is never consulted.
 */
export async function openS3(ctx: ConnectorContext<unknown>, target: S3Target, timeoutMs: number): Promise<S3Client> {
  await judgeEndpoint(ctx, s3Endpoint(target));
  const { httpAgent, httpsAgent } = safeAgents(ctx.net, { keepAlive: false });
  return new S3Client({
    region: target.region,
    ...(target.endpoint ? { endpoint: target.endpoint.toString().replace(/\/$/, '') } : {}),
    forcePathStyle: target.forcePathStyle,
    credentials: {
      accessKeyId: target.accessKeyId,
      secretAccessKey: target.secretAccessKey,
      ...(target.sessionToken ? { sessionToken: target.sessionToken } : {}),
    },
    requestHandler: { httpAgent, httpsAgent, connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
    maxAttempts: 2,
    // Checksums of whole objects cannot be checked on ranged reads; S3-compatible stores differ.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

const BAD_CREDENTIALS = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'ExpiredToken',
  'TokenRefreshRequired',
  'InvalidSecurity',
  'AuthorizationHeaderMalformed',
]);

/** An SDK error classified; aborts pass through untouched. */
export function classifyS3(error: unknown): unknown {
  if (isAbort(error)) return error;
  const network = networkFailure(error);
  if (network) return network;
  if (error instanceof S3ServiceException || (error as { $metadata?: unknown })?.$metadata) {
    const name = (error as { name: string }).name;
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const detail = status ? `${name}, HTTP ${status}` : name;
    if (name === 'NoSuchBucket') return new ObjectStoreError('store_missing', detail);
    if (name === 'NoSuchKey' || (name === 'NotFound' && status === 404)) {
      return new ObjectStoreError('object_missing', detail);
    }
    if (name === 'InvalidRange' || status === 416) return new ObjectStoreError('range_unsatisfiable', detail);
    if (BAD_CREDENTIALS.has(name)) return new ObjectStoreError('bad_credentials', detail);
    if (name === 'AccessDenied' || status === 403) return new ObjectStoreError('access_denied', detail);
    return new ObjectStoreError('other', detail);
  }
  return new ObjectStoreError('other', error instanceof Error ? error.name : 'unknown error');
}

/** One page of the listing under the prefix (the probe), and whether more follow. */
export async function firstS3Page(
  client: S3Client,
  target: S3Target,
  signal: AbortSignal,
  size: number,
): Promise<{ page: ListedObject[]; more: boolean }> {
  try {
    const out = await client.send(
      new ListObjectsV2Command({ Bucket: target.name, Prefix: target.prefix || undefined, MaxKeys: size }),
      { abortSignal: signal },
    );
    return { page: (out.Contents ?? []).map(listed), more: out.IsTruncated === true };
  } catch (error) {
    throw classifyS3(error);
  }
}

/** Every object under the prefix, page by page (1,000 keys a request). */
export async function* s3Pages(client: S3Client, target: S3Target, signal: AbortSignal): AsyncIterable<ListedObject[]> {
  let token: string | undefined;
  do {
    let out;
    try {
      out = await client.send(
        new ListObjectsV2Command({ Bucket: target.name, Prefix: target.prefix || undefined, ContinuationToken: token }),
        { abortSignal: signal },
      );
    } catch (error) {
      throw classifyS3(error);
    }
    yield (out.Contents ?? []).map(listed);
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
}

/** One object's listing facts, or null when it is not there. */
export async function headS3(
  client: S3Client,
  target: S3Target,
  key: string,
  signal: AbortSignal,
): Promise<ListedObject | null> {
  try {
    const out = await client.send(new HeadObjectCommand({ Bucket: target.name, Key: key }), { abortSignal: signal });
    return {
      key,
      size: out.ContentLength ?? 0,
      checksum: unquote(out.ETag),
      contentType: out.ContentType,
      modifiedAt: out.LastModified,
    };
  } catch (error) {
    const classified = classifyS3(error);
    if (classified instanceof ObjectStoreError && classified.failure === 'object_missing') return null;
    throw classified;
  }
}

/** The object's bytes as a stream, for an inclusive range given as an HTTP Range header. */
export async function getS3(
  client: S3Client,
  target: S3Target,
  key: string,
  range: string | undefined,
  signal: AbortSignal,
): Promise<Readable> {
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: target.name, Key: key, Range: range }), {
      abortSignal: signal,
    });
    return out.Body as Readable;
  } catch (error) {
    const classified = classifyS3(error);
    if (classified instanceof ObjectStoreError && classified.failure === 'range_unsatisfiable') return emptyStream();
    throw classified;
  }
}

function listed(object: { Key?: string; Size?: number; ETag?: string; LastModified?: Date }): ListedObject {
  return {
    key: object.Key ?? '',
    size: object.Size ?? 0,
    checksum: unquote(object.ETag),
    modifiedAt: object.LastModified,
  };
}

const unquote = (etag: string | undefined): string | undefined => etag?.replace(/^(W\/)?"|"$/g, '') || undefined;
