import { defaultExpression, describeServer } from './mysql-catalog';
import { statementTimeoutSql } from './mysql-execute';

describe('MySQL and MariaDB differences', () => {
  it('tells the servers apart by their version text', () => {
    expect(describeServer('10.11.6-MariaDB-0+deb12u1')).toMatchObject({ flavor: 'mariadb', label: 'MariaDB 10.11.6' });
    expect(describeServer('5.5.5-10.4.32-MariaDB')).toMatchObject({ flavor: 'mariadb', label: 'MariaDB 10.4.32' });
    expect(describeServer('8.0.36')).toMatchObject({ flavor: 'mysql', label: 'MySQL 8.0.36' });
  });

  it('sets the statement timeout in each server’s unit', () => {
    expect(statementTimeoutSql(describeServer('10.11.6-MariaDB'), 300)).toBe('SET SESSION max_statement_time = 0.300');
    expect(statementTimeoutSql(describeServer('8.0.36'), 300)).toBe('SET SESSION max_execution_time = 300');
  });

  it('turns COLUMN_DEFAULT into an SQL expression', () => {
    const mysql = (dflt: string | null, data_type = 'varchar', extra = '') =>
      defaultExpression({ dflt, data_type, extra }, 'mysql');
    expect(mysql(null)).toBeNull();
    expect(mysql("it's")).toBe("'it''s'");
    expect(mysql('0', 'int')).toBe('0');
    expect(mysql('CURRENT_TIMESTAMP', 'datetime', 'DEFAULT_GENERATED')).toBe('CURRENT_TIMESTAMP');
    expect(mysql('rand()', 'double', 'DEFAULT_GENERATED')).toBe('(rand())');
    expect(defaultExpression({ dflt: 'NULL', data_type: 'int', extra: '' }, 'mariadb')).toBeNull();
    expect(defaultExpression({ dflt: "'x'", data_type: 'varchar', extra: '' }, 'mariadb')).toBe("'x'");
  });
});
