import { Provider } from '@nestjs/common';
import { parseKey, parseKeyList, SecretBox } from '../crypto/secret-box';
import { SafeNetwork } from '../network/safe-network';
import { EnvDto } from './env.dto';

/** The secret box from ENCRYPTION_KEY (current) and ENCRYPTION_OLD_KEYS (still readable). */
export function secretBoxFromEnv(env: EnvDto): SecretBox {
  return new SecretBox(
    { id: env.ENCRYPTION_KEY_ID, key: parseKey(env.ENCRYPTION_KEY) },
    parseKeyList(env.ENCRYPTION_OLD_KEYS),
  );
}

/** Injectable everywhere: `constructor(private readonly secrets: SecretBox, private readonly net: SafeNetwork)`. */
export const SECURITY_PROVIDERS: Provider[] = [
  { provide: SecretBox, inject: [EnvDto], useFactory: secretBoxFromEnv },
  { provide: SafeNetwork, inject: [EnvDto], useFactory: (env: EnvDto) => new SafeNetwork(env.SAFE_NETWORK_ALLOW) },
];
