// The worker entry when the guard runs from its TypeScript sources (tests): compile on require.
require('../../../../../scripts/register-typescript');
module.exports = require('./sql-guard.worker.ts');
