import { ApiKeyEntity } from '../entities/api-key.entity';
import { InvitationEntity } from '../entities/invitation.entity';
import { InvitationResponseDto, ReceivedInvitationResponseDto } from '../dto/invitation.dto';
import { ApiKeyResponseDto } from '../dto/api-key.dto';
import { UserResponseDto } from '../dto/user.dto';
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

export function mapInvitation(i: InvitationEntity): InvitationResponseDto {
  return {
    id: i.id,
    email: i.email,
    role: i.role,
    status: i.status,
    createdAt: i.createdAt.toISOString(),
    expiresAt: i.expiresAt.toISOString(),
    respondedAt: iso(i.respondedAt),
  };
}

export function mapReceivedInvitation(i: InvitationEntity): ReceivedInvitationResponseDto {
  return {
    id: i.id,
    tenant: { id: i.tenantId, name: i.tenant!.name },
    role: i.role,
    status: i.status,
    createdAt: i.createdAt.toISOString(),
    expiresAt: i.expiresAt.toISOString(),
  };
}
