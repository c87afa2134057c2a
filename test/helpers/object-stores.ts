import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './eventually';

// s3rver and Azurite are CommonJS without types of their own we rely on.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
};

/** A bucket or container name unique to this run (lower-case, as both stores require). */
export const uniqueName = (stem: string): string => `${stem}-${randomBytes(4).toString('hex')}`;

/** s3rver's built-in key pair. */
export const S3RVER_KEY = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** s3rver in this process, on a free loopback port, over a temporary directory. */
export class LocalS3 {
  endpoint = '';
  private server?: InstanceType<typeof S3rver>;
  private readonly directory = mkdtempSync(join(tmpdir(), 'sluice-s3rver-'));
  readonly client = () =>
    new S3Client({
      region: 'us-east-1',
      endpoint: this.endpoint,
      forcePathStyle: true,
      credentials: S3RVER_KEY,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });

  async start(buckets: string[]): Promise<this> {
    this.server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      // Path-style only: otherwise a host name other than localhost is taken for a bucket name.
      vhostBuckets: false,
      directory: this.directory,
      configureBuckets: buckets.map((name) => ({ name })),
    });
    const { port } = await this.server.run();
    this.endpoint = `http://127.0.0.1:${port}`;
    return this;
  }

  async put(bucket: string, key: string, body: string | Buffer, contentType?: string): Promise<void> {
    const client = this.client();
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
    client.destroy();
  }

  async remove(bucket: string, key: string): Promise<void> {
    const client = this.client();
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    client.destroy();
  }

  async stop(): Promise<void> {
    await this.server?.close();
    rmSync(this.directory, { recursive: true, force: true });
  }
}

/** Azurite's well-known development account. */
export const AZURITE_ACCOUNT = {
  name: 'devstoreaccount1',
  key: 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
};

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Azurite's blob service as a child process, on a free loopback port, over a temporary directory. */
export class LocalAzurite {
  /** The account's blob endpoint, path-style: http://127.0.0.1:<port>/devstoreaccount1 */
  endpoint = '';
  private child?: ChildProcess;
  private readonly directory = mkdtempSync(join(tmpdir(), 'sluice-azurite-'));

  service(): BlobServiceClient {
    return new BlobServiceClient(
      this.endpoint,
      new StorageSharedKeyCredential(AZURITE_ACCOUNT.name, AZURITE_ACCOUNT.key),
    );
  }

  connectionString(key = AZURITE_ACCOUNT.key): string {
    return (
      `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT.name};AccountKey=${key};` +
      `BlobEndpoint=${this.endpoint};`
    );
  }

  async start(): Promise<this> {
    const port = await freePort();
    this.child = spawn(
      join(__dirname, '..', '..', 'node_modules', '.bin', 'azurite-blob'),
      [
        '--blobHost',
        '127.0.0.1',
        '--blobPort',
        String(port),
        '--location',
        this.directory,
        '--skipApiVersionCheck',
        '--disableTelemetry',
        '--loose',
        '--silent',
      ],
      { stdio: 'ignore' },
    );
    this.endpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT.name}`;
    await eventually(
      () =>
        fetch(`http://127.0.0.1:${port}/${AZURITE_ACCOUNT.name}?comp=list`).then(
          (res) => res.status,
          () => 0,
        ),
      (status) => status > 0,
      30_000,
      { intervalMs: 200, what: 'Azurite to answer' },
    );
    return this;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.directory, { recursive: true, force: true });
  }
}
