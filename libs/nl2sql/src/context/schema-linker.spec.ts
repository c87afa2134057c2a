import type { ColumnInfo, ForeignKeyInfo } from '@sluice/connectors';
import { estimateTokens, renderTableDdl } from './prompt-ddl';
import { LinkableTable, linkSchema } from './schema-linker';
import { foreignKeyResolver, TableGraph } from './table-graph';

interface TableSpec {
  schema?: string | null;
  columns: Array<string | [name: string, type: string]>;
  primaryKey?: string[];
  /** `[column, referenced table, referenced column]`, in the same schema. */
  references?: Array<[string, string, string]>;
  extra?: Omit<Partial<LinkableTable>, 'key' | 'table'>;
  comment?: string | null;
}

function column(name: string, type = 'integer', extra: Partial<ColumnInfo> = {}): ColumnInfo {
  return { name, type, nullable: true, default: null, primaryKey: false, comment: null, ...extra };
}

function linkable(name: string, spec: TableSpec): LinkableTable {
  const schema = spec.schema === undefined ? 'public' : spec.schema;
  const primaryKey = spec.primaryKey ?? [];
  const foreignKeys: ForeignKeyInfo[] = (spec.references ?? []).map(([from, table, to]) => ({
    name: `${name}_${from}_fkey`,
    columns: [from],
    referencedSchema: schema,
    referencedTable: table,
    referencedColumns: [to],
  }));
  return {
    key: schema ? `${schema}.${name}` : name,
    table: {
      schema,
      name,
      kind: 'table',
      comment: spec.comment ?? null,
      rowEstimate: null,
      columns: spec.columns.map((c) => {
        const [n, type] = typeof c === 'string' ? [c, 'integer'] : c;
        return column(n, type, { primaryKey: primaryKey.includes(n), nullable: !primaryKey.includes(n) });
      }),
      primaryKey,
      foreignKeys,
    },
    ...spec.extra,
  };
}

/** A music store (Chinook's shape) with declared foreign keys. */
function musicStore(): LinkableTable[] {
  const text = (n: string): [string, string] => [n, 'character varying(120)'];
  return [
    linkable('artist', { columns: ['artist_id', text('name')], primaryKey: ['artist_id'] }),
    linkable('album', {
      columns: ['album_id', text('title'), 'artist_id'],
      primaryKey: ['album_id'],
      references: [['artist_id', 'artist', 'artist_id']],
    }),
    linkable('genre', { columns: ['genre_id', text('name')], primaryKey: ['genre_id'] }),
    linkable('media_type', { columns: ['media_type_id', text('name')], primaryKey: ['media_type_id'] }),
    linkable('track', {
      columns: ['track_id', text('name'), 'album_id', 'media_type_id', 'genre_id', text('composer'), 'milliseconds'],
      primaryKey: ['track_id'],
      references: [
        ['album_id', 'album', 'album_id'],
        ['media_type_id', 'media_type', 'media_type_id'],
        ['genre_id', 'genre', 'genre_id'],
      ],
    }),
    linkable('playlist', { columns: ['playlist_id', text('name')], primaryKey: ['playlist_id'] }),
    linkable('playlist_track', {
      columns: ['playlist_id', 'track_id'],
      primaryKey: ['playlist_id', 'track_id'],
      references: [
        ['playlist_id', 'playlist', 'playlist_id'],
        ['track_id', 'track', 'track_id'],
      ],
    }),
    linkable('customer', {
      columns: ['customer_id', text('first_name'), text('last_name'), text('city'), text('country'), text('email')],
      primaryKey: ['customer_id'],
      extra: { columnNotes: { email: { tags: ['pii'] } } },
    }),
    linkable('invoice', {
      columns: [
        'invoice_id',
        'customer_id',
        ['invoice_date', 'timestamp without time zone'],
        ['total', 'numeric(10,2)'],
      ],
      primaryKey: ['invoice_id'],
      references: [['customer_id', 'customer', 'customer_id']],
    }),
    linkable('invoice_line', {
      columns: ['invoice_line_id', 'invoice_id', 'track_id', ['unit_price', 'numeric(10,2)'], 'quantity'],
      primaryKey: ['invoice_line_id'],
      references: [
        ['invoice_id', 'invoice', 'invoice_id'],
        ['track_id', 'track', 'track_id'],
      ],
    }),
  ];
}

const keys = (tables: LinkableTable[]) => tables.map((t) => t.key);
const top = (question: string, tables: LinkableTable[], n: number) =>
  linkSchema(question, tables, { tokenBudget: 1_000_000 })
    .scores.slice(0, n)
    .map((s) => s.key)
    .sort();
const costOf = (tables: LinkableTable[]) =>
  tables.reduce((sum, t) => sum + estimateTokens(renderTableDdl(t, { dialect: 'postgresql' })) + 1, 0);

describe('ranking', () => {
  const store = musicStore();

  it('puts the tables a question names first', () => {
    expect(top('Which albums did each artist release?', store, 2)).toEqual(['public.album', 'public.artist']);
    expect(top('Average unit price of invoice lines', store, 1)).toEqual(['public.invoice_line']);
    expect(top('Tracks longer than 5 minutes by composer', store, 1)).toEqual(['public.track']);
  });

  it('reads descriptions, tags and context when names say nothing', () => {
    const cryptic = [
      ...store,
      linkable('t_x1', { columns: ['k1', 'v2'], extra: { description: 'Monthly revenue for each store' } }),
      linkable('t_x2', { columns: ['k1'], extra: { tags: ['loyalty'], context: 'Points earned by members' } }),
      linkable('t_x3', { columns: ['k1'], extra: { columnNotes: { k1: { description: 'warehouse stock level' } } } }),
    ];
    expect(top('What was the revenue of each store last month?', cryptic, 1)).toEqual(['public.t_x1']);
    expect(top('loyalty points per member', cryptic, 1)).toEqual(['public.t_x2']);
    expect(top('stock level by warehouse', cryptic, 1)).toEqual(['public.t_x3']);
  });

  it('takes a sample value named in the question as a strong sign', () => {
    const question = 'How many invoices were billed in São Paulo?';
    const without = linkSchema(question, store, { tokenBudget: 1_000_000 }).scores;
    const withValues = store.map((t) =>
      t.key === 'public.customer' ? { ...t, sampleValues: { city: ['Berlin', 'São Paulo'] } } : t,
    );
    const scores = linkSchema(question, withValues, { tokenBudget: 1_000_000 }).scores;
    const customer = scores.find((s) => s.key === 'public.customer')!;
    expect(customer.score).toBeGreaterThan(without.find((s) => s.key === 'public.customer')!.score);
    expect(customer.reason).toContain("value(city='São Paulo')");
    expect(
      scores
        .slice(0, 2)
        .map((s) => s.key)
        .sort(),
    ).toEqual(['public.customer', 'public.invoice']);
  });

  it('prefers trained tables, on a match and on a tie', () => {
    const a = linkable('sales', { schema: 'a', columns: ['amount'] });
    const b = linkable('sales', { schema: 'b', columns: ['amount'], extra: { trained: true } });
    const idle = [linkable('x', { columns: ['y'] }), linkable('z', { columns: ['y'], extra: { trained: true } })];
    const scores = linkSchema('total sales amount', [a, b, ...idle], { tokenBudget: 1_000_000 }).scores;
    expect(scores.map((s) => s.key)).toEqual(['b.sales', 'a.sales', 'public.z', 'public.x']);
    expect(scores[0].reason).toContain('trained');
  });

  it('finds words inside names whose case was folded away', () => {
    const folded = [
      linkable('sbcustomer', { columns: ['sbcustid', 'sbcustname', 'sbcustjoindate'] }),
      linkable('sbtransaction', { columns: ['sbtxid', 'sbtxcustid', 'sbtxamount'] }),
      linkable('sbticker', { columns: ['sbtickerid', 'sbtickersymbol'] }),
      linkable('aircraft', { columns: ['capacity'], extra: { description: 'seating capacity' } }),
    ];
    expect(top('customers who joined last month and their transactions', folded, 2)).toEqual([
      'public.sbcustomer',
      'public.sbtransaction',
    ]);
    // "capacity" is a word of the schema's prose, not a compound holding "city".
    expect(linkSchema('city', folded, { tokenBudget: 1_000_000 }).scores.every((s) => s.score === 0)).toBe(true);
  });

  it('reads a year in the question as asking for a column of years', () => {
    const cars = [
      linkable('car_names', { columns: ['make_id', ['model', 'text'], ['make', 'text']] }),
      linkable('car_makers', { columns: ['id', ['maker', 'text'], ['full_name', 'text']] }),
      linkable('cars_data', { columns: ['id', 'mpg', 'horsepower', 'weight', 'year'] }),
    ];
    expect(top('How many cars were produced in 1980?', cars, 1)).toEqual(['public.cars_data']);
    expect(top('How many cars were produced?', cars, 1)).not.toEqual(['public.cars_data']);
  });

  it('matches a question word that begins a longer name word', () => {
    const pets = [
      linkable('student', { columns: ['stu_id', ['fname', 'text'], 'age'] }),
      linkable('has_pet', { columns: ['stu_id', 'pet_id'] }),
      linkable('pets', { columns: ['pet_id', ['pet_type', 'text'], 'pet_age', 'weight'] }),
    ];
    expect(top('How much does the youngest dog weigh?', pets, 1)).toEqual(['public.pets']);
  });

  it('weighs words that describe the computation lightly', () => {
    const tables = [
      linkable('ledger', { columns: ['number', 'total', 'count'] }),
      linkable('program', { columns: ['program_id', 'name'] }),
    ];
    expect(top('total number of programs', tables, 1)).toEqual(['public.program']);
  });
});

describe('linkSchema', () => {
  const store = musicStore();

  it('takes the whole schema, in its order, when it fits', () => {
    const linked = linkSchema('anything at all', store, { tokenBudget: costOf(store) });
    expect(keys(linked.tables)).toEqual(keys(store));
    expect(linked.tokens).toBe(estimateTokens(linked.ddl));
    expect(linked.tokens).toBeLessThanOrEqual(costOf(store));
    expect(linked.scores.every((s) => s.reason.startsWith('whole schema fits'))).toBe(true);
  });

  it('never exceeds the budget, whatever it is', () => {
    for (let budget = 0; budget <= costOf(store); budget += 7) {
      for (const fillBudget of [true, false]) {
        const linked = linkSchema('Which customers bought rock tracks?', store, { tokenBudget: budget, fillBudget });
        expect({ budget, tokens: linked.tokens }).toEqual({ budget, tokens: estimateTokens(linked.ddl) });
        expect(linked.tokens).toBeLessThanOrEqual(budget);
      }
    }
    expect(linkSchema('albums', store, { tokenBudget: 0 })).toMatchObject({ tables: [], ddl: '', tokens: 0 });
  });

  it('adds the table that joins two relevant ones', () => {
    const school = [
      linkable('student', { columns: ['id', ['name', 'text']], primaryKey: ['id'] }),
      linkable('course', { columns: ['id', ['title', 'text']], primaryKey: ['id'] }),
      linkable('enrolment', {
        columns: ['pupil', 'class_ref', ['grade', 'text']],
        references: [
          ['pupil', 'student', 'id'],
          ['class_ref', 'course', 'id'],
        ],
      }),
      linkable('teacher', { columns: ['id', ['name', 'text']], primaryKey: ['id'] }),
    ];
    const linked = linkSchema('Names of the students in the course titled Algebra', school, {
      tokenBudget: 1_000,
      fillBudget: false,
    });
    expect(keys(linked.tables)).toEqual(['public.student', 'public.course', 'public.enrolment']);
    expect(linked.scores.find((s) => s.key === 'public.enrolment')!.reason).toMatch(
      /^joins public\.\w+ to public\.\w+/,
    );
    expect(linked.ddl).toContain('FOREIGN KEY (pupil) REFERENCES public.student (id)');
  });

  it('fills leftover budget with foreign-key neighbours before unrelated tables', () => {
    const [customer, invoice, playlist] = ['customer', 'invoice', 'playlist'].map((n) =>
      store.find((t) => t.table.name === n)!,
    );
    const reordered = [customer, invoice, playlist, ...store.filter((t) => ![customer, invoice, playlist].includes(t))];
    const album = store.find((t) => t.table.name === 'album')!;
    const artist = store.find((t) => t.table.name === 'artist')!;
    const question = 'Which albums have the longest titles?';
    const relevant = linkSchema(question, reordered, { tokenBudget: 10_000, fillBudget: false }).tables;
    const budget = costOf([...relevant, artist]);
    const linked = linkSchema(question, reordered, { tokenBudget: budget });
    expect(keys(linked.tables)).toContain(album.key);
    expect(keys(linked.tables)).toContain(artist.key);
    expect(keys(linked.tables)).not.toContain(customer.key);
    expect(linked.scores.find((s) => s.key === artist.key)!.reason).toMatch(/^foreign-key neighbour/);
  });

  it('uses its budget: no table left out would still fit', () => {
    const questions = ['Which customers bought rock tracks?', 'albums by artist', 'nothing in this schema'];
    for (const question of questions) {
      for (let budget = 0; budget <= costOf(store); budget += 11) {
        const linked = linkSchema(question, store, { tokenBudget: budget });
        const left = budget - costOf(linked.tables);
        const fitting = store.filter((t) => !linked.tables.includes(t) && costOf([t]) <= left).map((t) => t.key);
        expect({ question, budget, fitting }).toEqual({ question, budget, fitting: [] });
      }
    }
  });

  it('fills with what a relevant table joins when that table itself does not fit', () => {
    const text = (n: string): [string, string] => [n, 'text'];
    const airline = linkable('airline', { columns: ['airline_id', text('name'), text('country')] });
    const airport = linkable('airport', { columns: ['airport_code', text('city'), text('country')] });
    const flight = linkable('flight', {
      columns: ['flight_no', 'airline_id', text('source_airport'), text('dest_airport'), ...'abcdefgh'.split('')],
      references: [['airline_id', 'airline', 'airline_id']],
    });
    // First in the input, so an order that ignores the joins would take it.
    const idle = linkable('audit_log', { columns: ['entry_id', text('message')] });
    const tables = [idle, airline, airport, flight];
    const budget = costOf([airline]) + 2;
    expect(costOf([flight])).toBeGreaterThan(budget);
    const linked = linkSchema('How many flights depart each day?', tables, { tokenBudget: budget });
    expect(keys(linked.tables)).toEqual(['public.airline']);
    expect(linked.scores.find((s) => s.key === 'public.airline')!.reason).toMatch(/^foreign-key neighbour/);
  });

  it('always puts the tables of retrieved examples in first, budget allowing', () => {
    const linked = linkSchema('Which albums have the longest titles?', store, {
      tokenBudget: 10_000,
      fillBudget: false,
      requiredTables: ['PUBLIC.CUSTOMER', 'public.no_such_table'],
    });
    expect(keys(linked.tables)).toEqual(expect.arrayContaining(['public.album', 'public.customer']));
    expect(linked.scores.find((s) => s.key === 'public.customer')!.reason).toBe('used by a retrieved example');

    const customer = store.find((t) => t.table.name === 'customer')!;
    const tight = linkSchema('albums', store, { tokenBudget: costOf([customer]) - 1, requiredTables: [customer.key] });
    expect(keys(tight.tables)).not.toContain(customer.key);
    expect(tight.scores.find((s) => s.key === customer.key)!.reason).toMatch(
      /^left out \(used by a retrieved example\)/,
    );
  });

  it('gives the same answer for the same arguments', () => {
    const question = 'Top 5 customers by total invoice amount in 2013';
    const budget = Math.floor(costOf(store) / 2);
    const once = linkSchema(question, store, { tokenBudget: budget });
    for (let i = 0; i < 3; i++) {
      expect(linkSchema(question, structuredClone(store), { tokenBudget: budget })).toEqual(once);
    }
    expect(keys(once.tables)).toEqual(keys(store).filter((k) => keys(once.tables).includes(k)));
  });

  it('renders in the dialect asked for', () => {
    const sqlite = [linkable('Album', { schema: null, columns: ['AlbumId', ['Title', 'NVARCHAR(160)']] })];
    expect(linkSchema('albums', sqlite, { tokenBudget: 100, dialect: 'sqlite' }).ddl).toBe(
      'CREATE TABLE "Album" (\n  "AlbumId" integer,\n  "Title" NVARCHAR(160)\n);',
    );
  });
});

describe('TableGraph', () => {
  it('joins declared foreign keys both ways and spots junction tables', () => {
    const graph = new TableGraph(musicStore());
    expect(graph.neighbours('public.album').get('public.artist')).toBe('foreign key');
    expect(graph.neighbours('public.artist').get('public.album')).toBe('foreign key');
    expect(graph.isJunction('public.playlist_track')).toBe(true);
    expect(graph.isJunction('public.track')).toBe(false);
    expect(graph.adjacent('public.playlist', 'public.track')).toBe(false);
  });

  it('infers joins from names where no foreign key is declared', () => {
    const graph = new TableGraph([
      linkable('course', { columns: ['course_id', 'name'] }),
      linkable('course_offering', { columns: ['offering_id', 'course_id', 'semester'] }),
      linkable('instructor', { columns: ['instructor_id', 'name'] }),
      linkable('offering_instructor', { columns: ['offering_instructor_id', 'offering_id', 'instructor_id'] }),
      linkable('paper', { columns: ['paperid', 'title'] }),
      linkable('writes', { columns: ['paperid', 'aid'] }),
      linkable('author', { columns: ['aid', 'name'] }),
    ]);
    expect(graph.neighbours('public.course_offering').get('public.course')).toBe('inferred');
    expect(graph.adjacent('public.offering_instructor', 'public.course_offering')).toBe(true);
    expect(graph.adjacent('public.offering_instructor', 'public.instructor')).toBe(true);
    expect(graph.isJunction('public.offering_instructor')).toBe(true);
    expect(graph.adjacent('public.writes', 'public.paper')).toBe(true);
    expect(graph.adjacent('public.writes', 'public.author')).toBe(true);
    expect(graph.adjacent('public.course', 'public.instructor')).toBe(false);
    expect(graph.adjacent('public.course', 'public.author')).toBe(false);
  });

  it('resolves foreign keys across schemas and case, and refuses ambiguous ones', () => {
    const tables = [
      linkable('users', { schema: 'app', columns: ['id'] }),
      linkable('Users', { schema: 'audit', columns: ['id'] }),
      linkable('orders', { schema: null, columns: ['id'] }),
    ];
    const resolve = foreignKeyResolver(tables);
    expect(resolve({ referencedSchema: 'APP', referencedTable: 'USERS' })).toBe('app.users');
    expect(resolve({ referencedSchema: null, referencedTable: 'users' })).toBeNull();
    expect(resolve({ referencedSchema: 'main', referencedTable: 'orders' })).toBe('orders');
    expect(resolve({ referencedSchema: 'app', referencedTable: 'nope' })).toBeNull();
  });
});
