export const ROLES = ['admin', 'editor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: set by the global guard on every authenticated request. */
export interface AuthContext {
  userId: string | null;
  tenantId: string;
  role: Role;
  /** How the caller proved who they are. */
  via: 'jwt' | 'api_key';
  apiKeyId?: string;
}
