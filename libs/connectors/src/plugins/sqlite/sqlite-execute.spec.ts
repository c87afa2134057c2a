import { ConnectorRequestError } from '../../plugin/connector-errors';
import { refuseOutsideFileAccess } from './sqlite-execute';

describe('refuseOutsideFileAccess', () => {
  it.each([
    "ATTACH DATABASE '/x.db' AS x",
    "  -- note\n  attach '/x.db' as x",
    '/* a */ /* b */ DETACH x',
    "VACUUM INTO '/tmp/copy.db'",
    "vacuum main into '/tmp/copy.db'",
  ])('refuses %s', (sql) => {
    expect(() => refuseOutsideFileAccess(sql)).toThrow(ConnectorRequestError);
  });

  it.each(['SELECT 1', "SELECT 'ATTACH'", 'VACUUM', 'WITH a AS (SELECT 1) SELECT * FROM a'])(
    'lets %s through',
    (sql) => {
      expect(() => refuseOutsideFileAccess(sql)).not.toThrow();
    },
  );
});
