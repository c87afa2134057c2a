import { extractSql, MAX_REPLY_CHARS, MAX_SQL_CHARS } from './sql-extract';

describe('extractSql', () => {
  it.each([
    ['a sql fence', 'Here you go:\n```sql\nSELECT 1\n```\nHope it helps.', 'SELECT 1'],
    ['a bare fence', '```\nSELECT name FROM artist\n```', 'SELECT name FROM artist'],
    ['the sql fence among others', '```text\nnotes\n```\n```sql\nSELECT 2\n```', 'SELECT 2'],
    ['JSON', '{"sql": "SELECT 3", "explanation": "x"}', 'SELECT 3'],
    ['fenced JSON', '```json\n{"query": "SELECT 4"}\n```', 'SELECT 4'],
    [
      'prose then SQL',
      'The query is:\nSELECT count(*)\nFROM track;\n\nThis counts tracks.',
      'SELECT count(*)\nFROM track;',
    ],
    ['a bare statement', '  WITH x AS (SELECT 1) SELECT * FROM x  ', 'WITH x AS (SELECT 1) SELECT * FROM x'],
  ])('finds the SQL in %s', (_label, reply, sql) => {
    expect(extractSql(reply)).toBe(sql);
  });

  it('keeps a second statement for the guard to refuse', () => {
    expect(extractSql('```sql\nSELECT 1; DELETE FROM track\n```')).toBe('SELECT 1; DELETE FROM track');
  });

  it('answers null when the reply holds no SQL', () => {
    expect(extractSql('I cannot answer that from this schema.')).toBeNull();
    expect(extractSql('')).toBeNull();
    expect(extractSql('{"answer": 42}')).toBeNull();
  });

  describe('hostile replies', () => {
    const timed = (reply: string): [string | null, number] => {
      const started = performance.now();
      const sql = extractSql(reply);
      return [sql, performance.now() - started];
    };

    it.each([
      ['backticks without a newline', '`'.repeat(MAX_REPLY_CHARS - 10)],
      ['unclosed fences', '```sql\n'.repeat(Math.floor((MAX_REPLY_CHARS - 10) / 7))],
      ['a statement with many blank lines', 'SELECT 1\n\n'.repeat(Math.floor((MAX_REPLY_CHARS - 10) / 10))],
    ])('reads %s in linear time', (_name, reply) => {
      const [, ms] = timed(reply);
      expect(ms).toBeLessThan(500);
    });

    it('does not look into a reply over the cap, nor take SQL over the cap', () => {
      expect(extractSql('SELECT 1;' + ' '.repeat(MAX_REPLY_CHARS))).toBeNull();
      expect(extractSql('```sql\nSELECT ' + '1,'.repeat(MAX_SQL_CHARS / 2) + '1\n```')).toBeNull();
      expect(extractSql('```sql\nSELECT 1\n```')).toBe('SELECT 1');
    });
  });
});
