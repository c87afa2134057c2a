import type { TableInfo } from '@sluice/connectors';
import {
  annotationTargetExists,
  decodeTableCursor,
  encodeTableCursor,
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
