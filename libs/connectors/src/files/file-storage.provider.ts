import type { Provider } from '@nestjs/common';
import { EnvDto } from '@sluice/core';
import { LocalFileStorage, type FileStorage } from './file-storage';

/** Injection token of the {@link FileStorage} in use: `@Inject(FILE_STORAGE) storage: FileStorage`. */
export const FILE_STORAGE = Symbol('FILE_STORAGE');

/** The storage driver chosen from the environment; only the local one exists so far. */
export function createFileStorage(env: EnvDto): FileStorage {
  return new LocalFileStorage(env);
}

/** Provides {@link FILE_STORAGE}; an S3 driver will be picked here once STORAGE_DRIVER exists. */
export const fileStorageProvider: Provider = {
  provide: FILE_STORAGE,
  inject: [EnvDto],
  useFactory: createFileStorage,
};
