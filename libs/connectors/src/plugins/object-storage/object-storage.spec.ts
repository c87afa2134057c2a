import { S3ServiceException } from '@aws-sdk/client-s3';
import { RestError } from '@azure/storage-blob';
import { ConnectorConfigError } from '../../plugin/connector-errors';
import { classifyAzure } from '../azure-blob/azure-blob-client';
import {
  failureMessage,
  networkFailure,
  normalizePrefix,
  objectKey,
  ObjectStoreError,
  rangeHeader,
} from './object-storage';
import { classifyS3 } from './s3-store';

const s3Error = (name: string, status: number) =>
  new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: 'x' });

describe('object-storage helpers', () => {
  it('normalises prefixes and refuses dot segments', () => {
    expect(normalizePrefix(undefined)).toBe('');
    expect(normalizePrefix('/a/b')).toBe('a/b/');
    expect(normalizePrefix('a/b/')).toBe('a/b/');
    expect(() => normalizePrefix('a/../b')).toThrow(ConnectorConfigError);
  });

  it('keeps keys below the prefix', () => {
    const location = { name: 'b', prefix: 'data/', maxObjects: 1 };
    expect(objectKey(location, 'x/y.csv')).toBe('data/x/y.csv');
    for (const bad of ['', '/x', '../x', 'a/./b', 'a\0b']) {
      expect(() => objectKey(location, bad)).toThrow(expect.objectContaining({ code: 'PATH_OUTSIDE_PREFIX' }));
    }
  });

  it('turns inclusive ranges into Range headers and refuses bad ones', () => {
    expect(rangeHeader()).toBeUndefined();
    expect(rangeHeader({ start: 1, end: 3 })).toBe('bytes=1-3');
    expect(rangeHeader({ start: 5 })).toBe('bytes=5-');
    expect(rangeHeader({ end: 9 })).toBe('bytes=0-9');
    expect(() => rangeHeader({ start: 3, end: 1 })).toThrow(expect.objectContaining({ code: 'INVALID_RANGE' }));
    expect(() => rangeHeader({ start: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_RANGE' }));
  });

  it.each([
    ['NoSuchBucket', 404, 'store_missing'],
    ['NoSuchKey', 404, 'object_missing'],
    ['InvalidAccessKeyId', 403, 'bad_credentials'],
    ['SignatureDoesNotMatch', 403, 'bad_credentials'],
    ['ExpiredToken', 400, 'bad_credentials'],
    ['AccessDenied', 403, 'access_denied'],
    ['InvalidRange', 416, 'range_unsatisfiable'],
    ['InternalError', 500, 'other'],
  ])('classifies the S3 error %s (HTTP %d) as %s', (name, status, failure) => {
    expect(classifyS3(s3Error(name, status))).toMatchObject({ failure, detail: `${name}, HTTP ${status}` });
  });

  it.each([
    ['ContainerNotFound', 404, 'store_missing'],
    ['BlobNotFound', 404, 'object_missing'],
    ['AuthenticationFailed', 403, 'bad_credentials'],
    ['AuthorizationPermissionMismatch', 403, 'access_denied'],
    ['InvalidRange', 416, 'range_unsatisfiable'],
  ])('classifies the Azure error %s (HTTP %d) as %s', (code, status, failure) => {
    expect(classifyAzure(new RestError('x', { statusCode: status, code }))).toMatchObject({ failure });
  });

  it('finds socket errors however they are wrapped, and words each failure', () => {
    expect(networkFailure(new Error('AWS SDK error wrapper for Error: connect ECONNREFUSED 1.2.3.4:1'))).toMatchObject({
      failure: 'unreachable',
      detail: 'ECONNREFUSED',
    });
    expect(networkFailure(Object.assign(new Error('x'), { cause: { code: 'ENOTFOUND' } }))).toMatchObject({
      detail: 'ENOTFOUND',
    });
    expect(networkFailure(new Error('plain'))).toBeNull();
    const say = (failure: ConstructorParameters<typeof ObjectStoreError>[0]) =>
      failureMessage('bucket', 'b', new ObjectStoreError(failure, 'D'), 'host:1');
    expect(say('store_missing')).toBe('No such bucket "b" at host:1 (D)');
    expect(say('access_denied')).toMatch(/^Access denied to bucket "b"/);
    expect(say('bad_credentials')).toMatch(/^Bad credentials for bucket "b"/);
    expect(say('unreachable')).toBe('Could not reach the endpoint host:1 (D)');
  });
});
