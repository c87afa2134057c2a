import { ApiKeyEntity } from '../entities/api-key.entity';
import { ApiKeyResponseDto } from '../http/dto/api-key.dto';
import { UserResponseDto } from '../http/dto/user.dto';
import { Member } from '../repositories/membership.repository';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function mapMember(m: Member): UserResponseDto {
  return {
    id: m.user.id,
    email: m.user.email,
    name: m.user.name,
    role: m.role,
    disabled: m.user.disabled,
    lastLoginAt: iso(m.user.lastLoginAt),
    createdAt: m.createdAt.toISOString(),
    updatedAt: (m.updatedAt > m.user.updatedAt ? m.updatedAt : m.user.updatedAt).toISOString(),
  };
}

export function mapApiKey(k: ApiKeyEntity): ApiKeyResponseDto {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    role: k.role,
    createdBy: k.createdBy,
    createdAt: k.createdAt.toISOString(),
    lastUsedAt: iso(k.lastUsedAt),
    expiresAt: iso(k.expiresAt),
    revokedAt: iso(k.revokedAt),
  };
}
