import { Injectable } from '@nestjs/common';
import {
  BadRequestError,
  NotFoundError,
  newId,
  randomAlphanumeric,
  decodeCursor,
  DEFAULT_PAGE_SIZE,
  Page,
  toPage,
} from '@sluice/core';
import { ApiKeyEntity } from '../entities/api-key.entity';
import { ApiKeyResponseDto, CreateApiKeyDto, CreatedApiKeyResponseDto, ListApiKeysQueryDto } from '../dto/api-key.dto';
import { ApiKeyRepository } from '../repositories/api-key.repository';
import { AuthContext, Role } from '../role';
import { mapApiKey } from './mappers';
import { sha256Hex } from './token.service';

export const API_KEY_PREFIX = 'sk_';
const VISIBLE_PREFIX_LENGTH = API_KEY_PREFIX.length + 8;
// Writing last_used_at on every request would turn reads into writes; once a minute is plenty.
const TOUCH_INTERVAL_MS = 60_000;

export interface NewApiKey {
  tenantId: string;
  name: string;
  role: Role;
  createdBy: string | null;
  expiresAt?: Date | null;
}

@Injectable()
export class ApiKeyService {
  constructor(private readonly keys: ApiKeyRepository) {}

  async list(auth: AuthContext, query: ListApiKeysQueryDto): Promise<Page<ApiKeyResponseDto>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const [rows, total] = await this.keys.page(
      auth.tenantId,
      query.includeRevoked ?? false,
      limit,
      decodeCursor(query.cursor),
    );
    return toPage(rows, total, limit, mapApiKey);
  }

  create(auth: AuthContext, dto: CreateApiKeyDto): Promise<CreatedApiKeyResponseDto> {
    const expiresAt = dto.expiresAt ? new Date(dto.expiresAt) : null;
    if (expiresAt && expiresAt.getTime() <= Date.now()) {
      throw new BadRequestError('INVALID_EXPIRY', 'expiresAt must be in the future');
    }
    return this.issue({ tenantId: auth.tenantId, name: dto.name, role: dto.role, createdBy: auth.userId, expiresAt });
  }

  /** Creates a key; the plaintext is returned here once and only its hash is stored. */
  async issue(spec: NewApiKey): Promise<CreatedApiKeyResponseDto> {
    const key = `${API_KEY_PREFIX}${randomAlphanumeric(40)}`;
    const entity = await this.keys.insert({
      id: newId('apiKey'),
      tenantId: spec.tenantId,
      name: spec.name,
      role: spec.role,
      prefix: key.slice(0, VISIBLE_PREFIX_LENGTH),
      keyHash: sha256Hex(key),
      createdBy: spec.createdBy,
      expiresAt: spec.expiresAt ?? null,
    });
    return { ...mapApiKey(entity), key };
  }

  async revoke(auth: AuthContext, id: string): Promise<ApiKeyResponseDto> {
    const found = await this.keys.findOne(auth.tenantId, id);
    if (!found) throw new NotFoundError('API_KEY_NOT_FOUND', 'API key not found');
    if (!found.revokedAt) await this.keys.revoke(auth.tenantId, id, new Date());
    return mapApiKey((await this.keys.findOne(auth.tenantId, id)) as ApiKeyEntity);
  }

  /** The key's tenant and role, or null when the key is unknown, revoked or expired. */
  async authenticate(key: string): Promise<ApiKeyEntity | null> {
    if (!key.startsWith(API_KEY_PREFIX) || key.length > 100) return null;
    const found = await this.keys.findByHash(sha256Hex(key));
    const now = new Date();
    if (!found || found.revokedAt || (found.expiresAt && found.expiresAt <= now)) return null;
    if (!found.lastUsedAt || now.getTime() - found.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) {
      await this.keys.touch(found.id, now);
    }
    return found;
  }
}
