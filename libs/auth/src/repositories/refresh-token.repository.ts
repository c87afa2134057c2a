import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { RefreshTokenEntity } from '../entities/refresh-token.entity';

@Injectable()
export class RefreshTokenRepository {
  constructor(@InjectRepository(RefreshTokenEntity) private readonly orm: Repository<RefreshTokenEntity>) {}

  async insert(values: Omit<RefreshTokenEntity, 'createdAt' | 'revokedAt'>): Promise<void> {
    await this.orm.insert({ ...values, revokedAt: null });
  }

  findByHash(tokenHash: string): Promise<RefreshTokenEntity | null> {
    return this.orm.findOne({ where: { tokenHash } });
  }

  /** Revokes one token; false when it was already revoked (a replay). */
  async revoke(id: string, at: Date): Promise<boolean> {
    const result = await this.orm.update({ id, revokedAt: IsNull() }, { revokedAt: at });
    return (result.affected ?? 0) > 0;
  }

  async revokeAllForUser(userId: string, at: Date): Promise<void> {
    await this.orm.update({ userId, revokedAt: IsNull() }, { revokedAt: at });
  }
}
