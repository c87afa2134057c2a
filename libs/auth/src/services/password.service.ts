import { Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';

@Injectable()
export class PasswordService {
  private dummyHash?: Promise<string>;

  hash(password: string): Promise<string> {
    return argon2.hash(password, { type: argon2.argon2id });
  }

  /**
   * Checks a password. With no hash (unknown user) it still verifies against a dummy hash, so
   * an unknown e-mail costs the same time as a wrong password and reveals nothing.
   */
  async verify(hash: string | null, password: string): Promise<boolean> {
    const target =
      hash ?? (await (this.dummyHash ??= argon2.hash('no-such-user-dummy-password', { type: argon2.argon2id })));
    const ok = await argon2.verify(target, password).catch(() => false);
    return hash !== null && ok;
  }
}
