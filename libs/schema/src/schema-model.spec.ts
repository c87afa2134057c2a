import type { TableInfo } from '@sluice/connectors';
import {
  annotationTargetExists,
  decodeTableCursor,
  encodeTableCursor,
  encodeTables,
  fingerprintOf,
  relationshipsOf,
  resolveColumn,
  resolveTable,
  tableKey,
  tableMatches,
} from './schema-model';

const column = (name: string) => ({
  name,
  type: 'integer',
  nullable: false,
  default: null,
  primaryKey: false,
  comment: null,
});
const table = (schema: string | null, name: string, columns: string[] = ['id']): TableInfo => ({
  schema,
  name,
  kind: 'table',
  comment: null,
  rowEstimate: null,
  columns: columns.map(column),
  primaryKey: ['id'],
  foreignKeys: [],
});

describe('schema model', () => {
  const tables = [
    table('public', 'album', ['album_id', 'title']),
    table('sales', 'Invoice'),
    table('archive', 'invoice'),
  ];

  it('resolves a table by key, bare name or case, and refuses an ambiguous name', () => {
    expect(resolveTable(tables, 'public.album')?.name).toBe('album');
    expect(resolveTable(tables, 'album')?.name).toBe('album');
    expect(resolveTable(tables, 'PUBLIC.ALBUM')?.name).toBe('album');
    expect(resolveTable(tables, 'Invoice')?.schema).toBe('sales');
    expect(resolveTable(tables, 'INVOICE')).toBeNull();
    expect(resolveTable(tables, 'nope')).toBeNull();
    expect(resolveColumn(tables[0], 'TITLE')?.name).toBe('title');
    expect(resolveColumn(tables[0], 'price')).toBeNull();
  });

  it('keys tables with and without schemas', () => {
    expect(tableKey({ schema: null, name: 'Album' })).toBe('Album');
    expect(tableKey({ schema: 'public', name: 'album' })).toBe('public.album');
  });

  it('fingerprints the shape alone: a revised row estimate changes nothing, a new column does', () => {
    const revised = { ...tables[0], rowEstimate: (tables[0].rowEstimate ?? 0) + 1234 };
    expect(fingerprintOf([revised, tables[1]])).toBe(fingerprintOf([tables[0], tables[1]]));
    const widened = { ...tables[0], columns: [...tables[0].columns, { ...tables[0].columns[0], name: 'extra' }] };
    expect(fingerprintOf([widened, tables[1]])).not.toBe(fingerprintOf([tables[0], tables[1]]));
  });

  it('fingerprints the same schema the same way whatever the catalog order', () => {
    expect(fingerprintOf([tables[0], tables[1]])).toBe(fingerprintOf([tables[1], tables[0]]));
    expect(fingerprintOf([tables[0]])).not.toBe(fingerprintOf([table('public', 'album', ['album_id'])]));
  });

  it('encodes tables sorted, as JSON that reads back to them', () => {
    const estimated = { ...tables[0], rowEstimate: 42, comment: 'Albums "quoted" \u00e9' };
    const encoded = encodeTables([tables[1], estimated, tables[2]]);
    const sorted = [tables[2], estimated, tables[1]];
    expect(encoded.tables).toEqual(sorted);
    expect(JSON.parse(encoded.json())).toEqual(sorted);
    expect(encodeTables([]).json()).toBe('[]');
  });

  it('fingerprints every field of the shape', () => {
    const base: TableInfo = {
      ...table('public', 'track', ['track_id', 'album_id']),
      comment: 'Tracks',
      foreignKeys: [
        {
          name: 'fk_album',
          columns: ['album_id'],
          referencedSchema: 'public',
          referencedTable: 'album',
          referencedColumns: ['album_id'],
        },
      ],
    };
    const col = (changes: Partial<TableInfo['columns'][number]>) => ({
      ...base,
      columns: [{ ...base.columns[0], ...changes }, base.columns[1]],
    });
    const fk = (changes: Partial<TableInfo['foreignKeys'][number]>) => ({
      ...base,
      foreignKeys: [{ ...base.foreignKeys[0], ...changes }],
    });
    const variants: TableInfo[] = [
      { ...base, schema: null },
      { ...base, schema: 'sales' },
      { ...base, name: 'tracks' },
      { ...base, kind: 'view' },
      { ...base, comment: null },
      { ...base, comment: '' },
      { ...base, comment: '-' },
      { ...base, comment: '0:' },
      { ...base, primaryKey: ['track_id', 'album_id'] },
      { ...base, primaryKey: [] },
      { ...base, columns: [base.columns[1], base.columns[0]] },
      { ...base, columns: [base.columns[0]] },
      col({ name: 'id' }),
      col({ type: 'bigint' }),
      col({ nullable: true }),
      col({ primaryKey: true }),
      col({ default: '0' }),
      col({ default: '' }),
      col({ comment: 'Identifier' }),
      fk({ name: 'fk_album2' }),
      fk({ columns: ['track_id'] }),
      fk({ columns: ['album_id', 'track_id'] }),
      fk({ referencedSchema: null }),
      fk({ referencedTable: 'albums' }),
      fk({ referencedColumns: ['id'] }),
      { ...base, foreignKeys: [] },
    ];
    const prints = variants.map((variant) => fingerprintOf([variant]));
    expect(new Set([fingerprintOf([base]), ...prints]).size).toBe(variants.length + 1);
  });

  it('does not let text move from one field into the next unseen', () => {
    const pair = (name: string, type: string, comment: string | null) => ({
      ...tables[0],
      columns: [{ ...tables[0].columns[0], name, type, comment }],
    });
    expect(fingerprintOf([pair('ab', 'c', null)])).not.toBe(fingerprintOf([pair('a', 'bc', null)]));
    expect(fingerprintOf([pair('a', '1:b', null)])).not.toBe(fingerprintOf([pair('a1:', 'b', null)]));
    expect(fingerprintOf([pair('a', 'b', '-')])).not.toBe(fingerprintOf([pair('a', 'b', null)]));
    expect(fingerprintOf([{ ...tables[0], schema: 'a.b', name: 'c' }])).not.toBe(
      fingerprintOf([{ ...tables[0], schema: 'a', name: 'b.c' }]),
    );
    // Two strings that differ only in a lone surrogate, which UTF-8 would turn into the same bytes.
    expect(fingerprintOf([pair('a', 'b', '\ud800')])).not.toBe(fingerprintOf([pair('a', 'b', '\ud801')]));
  });

  it('hashes the contents with the estimates: a revised estimate changes it, not the fingerprint', () => {
    const base = encodeTables([tables[0], tables[1]]);
    const revised = encodeTables([{ ...tables[0], rowEstimate: 7 }, tables[1]]);
    expect(revised.fingerprint).toBe(base.fingerprint);
    expect(revised.contentsHash).not.toBe(base.contentsHash);
    expect(encodeTables([tables[1], tables[0]]).contentsHash).toBe(base.contentsHash);
    // An estimate left out and an estimate of null are stored differently, so they hash apart.
    const { rowEstimate: _estimate, ...bare } = tables[0];
    const without = encodeTables([bare as TableInfo, tables[1]]);
    expect(without.contentsHash).not.toBe(base.contentsHash);
    expect(JSON.parse(without.json())[0]).not.toHaveProperty('rowEstimate');
  });

  it('turns foreign keys into relationships between table keys', () => {
    const track = table('public', 'track', ['track_id', 'album_id']);
    track.foreignKeys = [
      {
        name: 'fk_track_album',
        columns: ['album_id'],
        referencedSchema: 'public',
        referencedTable: 'album',
        referencedColumns: ['album_id'],
      },
    ];
    expect(relationshipsOf([tables[0], track])).toEqual([
      {
        name: 'fk_track_album',
        fromTable: 'public.track',
        fromColumns: ['album_id'],
        toTable: 'public.album',
        toColumns: ['album_id'],
        kind: 'many_to_one',
      },
    ]);
  });

  it('says whether an annotation still has its table and column', () => {
    const byKey = new Map(tables.map((t) => [tableKey(t), t]));
    const note = { table: 'public.album', column: 'title', description: null, tags: [], context: null };
    expect(annotationTargetExists(byKey, note)).toBe(true);
    expect(annotationTargetExists(byKey, { ...note, column: null })).toBe(true);
    expect(annotationTargetExists(byKey, { ...note, column: 'name' })).toBe(false);
    expect(annotationTargetExists(byKey, { ...note, table: 'public.albums' })).toBe(false);
  });

  it('matches q on names, columns and annotations', () => {
    expect(tableMatches(tables[0], [], 'TIT')).toBe(true);
    expect(tableMatches(tables[0], [], 'revenue')).toBe(false);
    const note = { table: 'public.album', column: null, description: 'Records sold', tags: ['catalog'], context: null };
    expect(tableMatches(tables[0], [note], 'catalog')).toBe(true);
  });

  it('round-trips cursors and refuses foreign ones', () => {
    expect(decodeTableCursor(encodeTableCursor('public.album'))).toBe('public.album');
    expect(() => decodeTableCursor('garbage')).toThrow(/cursor/);
  });
});
