import { sign } from 'jsonwebtoken';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chinookSqliteCopy } from './helpers/chinook';
import { FakeOpenAi } from './helpers/fake-openai';
import { Operation, operations, plausible, resolveSchema } from './helpers/openapi-fuzz';
import { inviteUser, seed } from './helpers/seed';
import { startTestApp, TestApp } from './helpers/test-app';

/**
 * The authorization matrix, generated from the committed OpenAPI document: every operation ×
 * every kind of caller, the expected status read from the roles the route declares
 * (`x-sluice-roles`). A route added without a declared rule fails here; so does one that lets a
 * caller through that its rule refuses, or answers another tenant's id with anything but 404.
 */
const SPEC = JSON.parse(readFileSync(join(__dirname, '..', 'openapi.json'), 'utf8'));
const ROLES = ['admin', 'editor', 'viewer'] as const;
type Role = (typeof ROLES)[number];
/** Routes whose success changes what later requests see: called last. */
const LAST = [
  '/api/v1/settings/llm',
  '/api/v1/auth/logout',
  '/api/v1/auth/dashboard-session',
  '/api/v1/auth/logout-all',
];

/** A caller: its credential header, and the role it holds (none when it must be refused). */
interface Caller {
  name: string;
  headers: Record<string, string>;
  role: Role | null;
}

function declaredRoles(op: Operation): Role[] | 'public' | undefined {
  const raw = SPEC.paths[op.path][op.method.toLowerCase()];
  if (raw['x-sluice-roles']) return raw['x-sluice-roles'];
  return raw.security?.length ? undefined : 'public';
}

describe('authorization matrix over every route (e2e)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-authz-'));
  const llm = new FakeOpenAi();
  let t: TestApp;
  const callers: Caller[] = [];
  /** Ids of the first tenant's resources, by path parameter name. */
  const ids: Record<string, string> = {};

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  async function must(res: { status: number; text: string; body: any }, what: string) {
    if (res.status >= 300) throw new Error(`${what} failed: ${res.status} ${res.text}`);
    return res.body;
  }

  beforeAll(async () => {
    await llm.start();
    llm.fallback = { content: 'SELECT count(*) FROM album' };
    t = await startTestApp({
      SQLITE_ALLOWED_DIRS: dir,
      SAFE_NETWORK_ALLOW: '127.0.0.1',
      LLM_PROVIDER: 'openai',
      LLM_MODEL: 'scripted',
      LLM_BASE_URL: llm.baseUrl,
      LLM_API_KEY: 'sk-test-authz',
      RATE_LIMIT_PER_MINUTE: '1000000',
      PROBE_RATE_LIMIT_PER_MINUTE: '1000000',
    });
    const seeded = await seed(t);
    const admin = seeded.tenant.admin.token;
    const tokens: Record<Role, string> = {
      admin,
      editor: seeded.tenant.editor.token,
      viewer: seeded.tenant.viewer.token,
    };
    const gone = await inviteUser(t, admin, 'admin', { email: 'gone@acme.test', password: 'gone-passphrase' });
    const disabledToken = gone.token;
    const disabledId = gone.id;
    await must(await t.http.put(`/api/v1/users/${disabledId}`, { disabled: true }, { token: admin }), 'disable');
    // One invitation left pending, for the other tenant to be pointed at.
    otherTenant.invitationId = (
      await must(
        await t.http.post(
          '/api/v1/users',
          { email: 'later@acme.test', password: 'later-passphrase', role: 'viewer' },
          { token: admin },
        ),
        'invitation',
      )
    ).id;

    const keys: Record<Role, string> = { admin: '', editor: '', viewer: '' };
    for (const role of ROLES) {
      keys[role] = (
        await must(await t.http.post('/api/v1/api-keys', { name: `${role} key`, role }, { token: admin }), 'key')
      ).key;
    }
    const revoked = await must(
      await t.http.post('/api/v1/api-keys', { name: 'revoked', role: 'admin' }, { token: admin }),
      'key',
    );
    await t.http.delete(`/api/v1/api-keys/${revoked.id}`, { token: admin });

    const expired = sign(
      { sub: seeded.tenant.admin.id, tid: seeded.tenant.id, typ: 'access', exp: Math.floor(Date.now() / 1000) - 60 },
      t.env.JWT_SECRET,
      { issuer: 'sluice', audience: 'sluice-api' },
    );
    const globex = seeded.other.admin.token;

    callers.push(
      { name: 'anonymous', headers: {}, role: null },
      { name: 'expired token', headers: bearer(expired), role: null },
      { name: 'disabled user', headers: bearer(disabledToken), role: null },
      { name: 'revoked API key', headers: { 'x-api-key': revoked.key }, role: null },
      ...ROLES.map((role) => ({ name: role, headers: bearer(tokens[role]), role })),
      ...ROLES.map((role) => ({ name: `${role} API key`, headers: { 'x-api-key': keys[role] }, role })),
    );

    // One of each resource in the first tenant, so that the other tenant can be pointed at it.
    const connector = await must(
      await t.http.post(
        '/api/v1/connectors',
        { name: 'Chinook', type: 'sqlite', config: { path: chinookSqliteCopy(dir) } },
        { token: admin },
      ),
      'connector',
    );
    ids.id = connector.id;
    ids.docId = (
      await must(
        await t.http.post(
          `/api/v1/connectors/${ids.id}/documents`,
          { externalId: 'n', name: 'N', content: 'x' },
          { token: admin },
        ),
        'document',
      )
    ).id;
    ids.annotationId = (
      await must(
        await t.http.post(
          `/api/v1/connectors/${ids.id}/schema/annotations`,
          { table: 'album', tags: ['catalog'] },
          { token: admin },
        ),
        'annotation',
      )
    ).id;
    const run = await must(await t.http.post(`/api/v1/connectors/${ids.id}/sync`, undefined, { token: admin }), 'sync');
    ids.runId = run.id;
    const example = await must(
      await t.http.post(
        '/api/v1/examples',
        { question: 'How many albums?', sql: 'SELECT count(*) FROM album', connectorId: ids.id },
        { token: admin },
      ),
      'example',
    );
    otherTenant.exampleId = example.id;
    await must(
      await t.http.post(
        '/api/v1/nl2sql/query',
        { connectorId: ids.id, question: 'How many albums?' },
        { token: admin },
      ),
      'question',
    );
    otherTenant.historyId = (await t.http.get('/api/v1/history?limit=1', { token: admin })).body.data[0].id;
    otherTenant.userId = disabledId;
    otherTenant.keyId = revoked.id;
    otherTenant.token = globex;
  }, 120_000);

  /** Which id the other tenant is pointed at, per route prefix. */
  const otherTenant: Record<string, string> = {};

  afterAll(async () => {
    await t?.close();
    await llm.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const ordered = () =>
    operations(SPEC).sort((a, b) => LAST.indexOf(a.path) - LAST.indexOf(b.path) || a.path.localeCompare(b.path));

  /** The path with every parameter filled by an id that exists nowhere. */
  const unknownIds = (op: Operation) => op.path.replace(/\{(\w+)\}/g, 'zz_doesnotexist0000');

  async function call(op: Operation, path: string, headers: Record<string, string>) {
    const body = op.bodySchema ? JSON.stringify(plausible(SPEC, op.bodySchema)) : op.rawBody ? 'a,b\n1,2\n' : undefined;
    const res = await fetch(`${t.baseUrl}${path}`, {
      method: op.method,
      headers: { ...headers, ...(body ? { 'content-type': op.rawBody ? 'text/csv' : 'application/json' } : {}) },
      body,
      signal: AbortSignal.timeout(20_000),
    });
    if (res.headers.get('content-type')?.includes('json')) {
      const body = (await res.json()) as { code?: string };
      return { status: res.status, code: body.code };
    }
    await res.body?.cancel();
    return { status: res.status, code: undefined };
  }

  it('every route declares who may call it', () => {
    const undeclared = operations(SPEC)
      .filter((op) => declaredRoles(op) === undefined)
      .map((op) => `${op.method} ${op.path}`);
    expect(undeclared).toEqual([]);
  });

  it('lets exactly the declared roles through, and refuses every other caller', async () => {
    const wrong: string[] = [];
    for (const op of ordered()) {
      const rule = declaredRoles(op);
      if (rule === 'public' || rule === undefined) continue;
      for (const caller of callers) {
        const { status, code } = await call(op, unknownIds(op), caller.headers);
        // The role gate's refusal is 403 FORBIDDEN; a 403 with another code is a rule of the
        // route itself (mutations, API keys and the dashboard), met after the gate let it by.
        const refusedByRole = status === 403 && code === 'FORBIDDEN';
        const expected = caller.role === null ? '401' : rule.includes(caller.role) ? 'through' : '403 FORBIDDEN';
        const ok =
          expected === '401'
            ? status === 401
            : expected === 'through'
              ? status !== 401 && !refusedByRole && status < 500
              : refusedByRole;
        if (!ok) wrong.push(`${op.method} ${op.path} as ${caller.name}: ${status} ${code}, expected ${expected}`);
      }
    }
    expect(wrong).toEqual([]);
  }, 300_000);

  it("answers another tenant's admin 404 on every route that names one of this tenant's resources", async () => {
    const values: Record<string, (op: Operation) => string> = {
      id: (op) =>
        op.path.startsWith('/api/v1/examples')
          ? otherTenant.exampleId
          : op.path.startsWith('/api/v1/invitations')
            ? otherTenant.invitationId
            : op.path.startsWith('/api/v1/users')
              ? otherTenant.userId
              : op.path.startsWith('/api/v1/api-keys')
                ? otherTenant.keyId
                : op.path.startsWith('/api/v1/history')
                  ? otherTenant.historyId
                  : ids.id,
      invitationId: () => otherTenant.invitationId,
      docId: () => ids.docId,
      runId: () => ids.runId,
      annotationId: () => ids.annotationId,
    };
    const wrong: string[] = [];
    const withIds = ordered().filter((op) => op.pathParams.length > 0 && !op.path.startsWith('/api/v1/hooks'));
    expect(withIds.length).toBeGreaterThan(20);
    for (const op of withIds) {
      const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
        const pick = values[name];
        if (!pick) throw new Error(`no id of the first tenant for {${name}} in ${op.path}: add one`);
        return pick(op);
      });
      const { status, code } = await call(op, path, bearer(otherTenant.token));
      if (status !== 404) wrong.push(`${op.method} ${op.path}: ${status} ${code}`);
    }
    expect(wrong).toEqual([]);
  }, 300_000);

  it("answers another tenant's admin 404 on every route that takes one of this tenant's connectors in its body", async () => {
    const withConnector = ordered().filter((op) => {
      const schema = resolveSchema(SPEC, op.bodySchema);
      return op.method === 'POST' && schema?.properties?.connectorId !== undefined;
    });
    expect(withConnector.map((op) => op.path)).toEqual(expect.arrayContaining(['/api/v1/nl2sql/query/stream']));
    const wrong: string[] = [];
    for (const op of withConnector) {
      const body: Record<string, unknown> = { ...(plausible(SPEC, op.bodySchema) as object), connectorId: ids.id };
      if ('allowMutations' in body) body.allowMutations = false;
      const res = await fetch(`${t.baseUrl}${op.path.replace(/\{(\w+)\}/g, 'zz_doesnotexist0000')}`, {
        method: op.method,
        headers: { ...bearer(otherTenant.token), 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(20_000),
      });
      const text = await res.text();
      if (res.status !== 404) wrong.push(`${op.method} ${op.path}: ${res.status} ${text.slice(0, 200)}`);
    }
    expect(wrong).toEqual([]);
  }, 120_000);
});
