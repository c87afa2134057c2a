// The worker entry when the upload runs from its TypeScript sources (tests): compile on require.
require('../../../../../scripts/register-typescript');
module.exports = require('./upload-digest.worker.ts');
