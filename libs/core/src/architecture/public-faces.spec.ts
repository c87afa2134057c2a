import { RuleTester } from 'eslint';
import { join } from 'node:path';

// The lint rule behind "another lib only through its public face", run on small fixtures so a
// rule that stops reporting fails here and not only in review.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { rules } = require('../../../../scripts/eslint/lib-boundaries.js');

const ROOT = join(__dirname, '..', '..', '..', '..');
const at = (path: string) => join(ROOT, path);

const tester = new RuleTester({ languageOptions: { ecmaVersion: 2022, sourceType: 'module' } });

tester.run('sluice/public-faces', rules['public-faces'], {
  valid: [
    { filename: at('libs/nl2sql/src/a.ts'), code: "import { SchemaService } from '@sluice/schema';" },
    { filename: at('libs/nl2sql/src/a.ts'), code: "import { x } from './guard/sql-guard';" },
    { filename: at('apps/api/src/app.module.ts'), code: "import { CoreModule } from '@sluice/core';" },
    { filename: at('libs/core/src/a.ts'), code: "import { Injectable } from '@nestjs/common';" },
    // Test code has a second door, the testing face, to seed and inspect rows.
    {
      filename: at('test/connectors.e2e-spec.ts'),
      code: "import { ConnectorEntity } from '@sluice/connectors/testing';",
    },
    {
      filename: at('libs/nl2sql/src/nl2sql.service.spec.ts'),
      code: "import { HistoryRepository } from '@sluice/history/testing';",
    },
    { filename: at('test/helpers/seed.ts'), code: "import { AuthService } from '@sluice/auth';" },
    { filename: at('test/helpers/seed.ts'), code: "import { waitFor } from './eventually';" },
  ],
  invalid: [
    {
      filename: at('libs/nl2sql/src/question-context.ts'),
      code: "import { SchemaRepository } from '@sluice/schema/schema.repository';",
      errors: [{ messageId: 'deep' }],
    },
    {
      filename: at('apps/worker/src/main.ts'),
      code: "export { workerStop } from '@sluice/core/queue/worker-stop';",
      errors: [{ messageId: 'deep' }],
    },
    {
      filename: at('libs/history/src/h.ts'),
      code: "const m = await import('@sluice/examples/example.service');",
      errors: [{ messageId: 'deep' }],
    },
    {
      filename: at('libs/documents/src/d.ts'),
      code: "const m = require('@sluice/connectors/plugins/sqlite/sqlite.connector');",
      errors: [{ messageId: 'deep' }],
    },
    {
      filename: at('libs/schema/src/s.ts'),
      code: "import { SchemaService } from '@sluice/schema';",
      errors: [{ messageId: 'self' }],
    },
    // The test harness is held to the faces too.
    {
      filename: at('test/connectors.e2e-spec.ts'),
      code: "import { ConnectorEntity } from '@sluice/connectors/connector.entity';",
      errors: [{ messageId: 'deep' }],
    },
    {
      filename: at('test/helpers/seed.ts'),
      code: "import { TenantService } from '../../libs/auth/src/services/tenant.service';",
      errors: [{ messageId: 'relative' }],
    },
    // Production code may not use the testing face.
    {
      filename: at('libs/nl2sql/src/nl2sql.service.ts'),
      code: "import { HistoryRepository } from '@sluice/history/testing';",
      errors: [{ messageId: 'testing' }],
    },
    {
      filename: at('apps/api/src/main.ts'),
      code: "import { ConnectorRepository } from '@sluice/connectors/testing';",
      errors: [{ messageId: 'testing' }],
    },
  ],
});

describe('public faces of the libs', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { readdirSync, readFileSync, existsSync } = require('node:fs') as typeof import('node:fs');
  const libs = readdirSync(at('libs')).filter((name) => existsSync(at(`libs/${name}/src`)));

  it.each(libs)('%s has an index.ts that exports no repository, entity or testing name', (lib) => {
    const index = at(`libs/${lib}/src/index.ts`);
    expect(existsSync(index)).toBe(true);
    const exported = [...readFileSync(index, 'utf8').matchAll(/from '(\.[^']+)'/g)].map((m) => m[1]);
    const internals = exported.filter((path) => /\.(repository|entity)$|^\.\/testing$/.test(path));
    expect(internals).toEqual([]);
  });
});
