import {
  detectEncoding,
  detectMimeType,
  isCsv,
  isTextMimeType,
  looksBinary,
  normaliseEncoding,
  parseContentType,
  sniffMagic,
} from './content-sniffing';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const ZIP = Buffer.concat([
  Buffer.from([0x50, 0x4b, 0x03, 0x04]),
  Buffer.alloc(26),
  Buffer.from('[Content_Types].xml'),
]);

describe('sniffMagic', () => {
  it.each([
    ['application/pdf', Buffer.from('%PDF-1.7\n')],
    ['image/png', PNG],
    ['image/jpeg', Buffer.from([0xff, 0xd8, 0xff, 0xe0])],
    ['application/gzip', Buffer.from([0x1f, 0x8b, 8, 0])],
    ['application/vnd.sqlite3', Buffer.from('SQLite format 3\0rest')],
    ['application/zip', Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2])],
  ])('recognises %s', (type, sample) => {
    expect(sniffMagic(sample)).toBe(type);
  });

  it('returns null for text', () => {
    expect(sniffMagic(Buffer.from('id,name\n1,x\n'))).toBeNull();
  });

  it('tells an Office file from a plain ZIP by its name or its first part folders', () => {
    expect(sniffMagic(ZIP, 'report.xlsx')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(sniffMagic(Buffer.concat([ZIP, Buffer.from('....xl/workbook.xml')]))).toBe(
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    );
    expect(sniffMagic(ZIP, 'archive.zip')).toBe('application/zip');
  });
});

describe('detectMimeType', () => {
  it('trusts magic bytes over the name and the declared type', () => {
    expect(detectMimeType(PNG, 'photo.csv', 'text/csv')).toBe('image/png');
  });

  it('uses a specific declared type, but not an uninformative one', () => {
    expect(detectMimeType(Buffer.from('{}'), 'data.txt', 'application/json; charset=utf-8')).toBe('application/json');
    expect(detectMimeType(Buffer.from('a,b'), 'data.csv', 'text/plain')).toBe('text/csv');
    expect(detectMimeType(Buffer.from('a,b'), 'data.csv', 'application/x-www-form-urlencoded')).toBe('text/csv');
  });

  it('falls back to text/plain or application/octet-stream from the bytes', () => {
    expect(detectMimeType(Buffer.from('just words'))).toBe('text/plain');
    expect(detectMimeType(Buffer.from([1, 2, 0, 3, 4]))).toBe('application/octet-stream');
  });
});

describe('encodings', () => {
  it('normalises labels to the names TextDecoder uses', () => {
    expect(normaliseEncoding('UTF-8')).toBe('utf-8');
    expect(normaliseEncoding('latin1')).toBe('windows-1252');
    expect(normaliseEncoding('ISO-8859-1')).toBe('windows-1252');
    expect(normaliseEncoding('ascii')).toBe('utf-8');
    expect(normaliseEncoding('Shift_JIS')).toBe('shift_jis');
    expect(normaliseEncoding('klingon-8')).toBeNull();
    expect(normaliseEncoding(undefined)).toBeNull();
  });

  it('reads byte-order marks before asking chardet', () => {
    expect(detectEncoding(Buffer.from([0xef, 0xbb, 0xbf, 0x61]))).toBe('utf-8');
    expect(detectEncoding(Buffer.from([0xff, 0xfe, 0x61, 0]))).toBe('utf-16le');
    expect(detectEncoding(Buffer.alloc(0))).toBe('utf-8');
  });

  it('detects UTF-8 and Latin-1 text', () => {
    const french = 'Le café était très bon, à côté de la fenêtre, près du théâtre où nous étions. '.repeat(20);
    expect(detectEncoding(Buffer.from(french, 'utf8'))).toBe('utf-8');
    expect(detectEncoding(Buffer.from(french, 'latin1'))).toBe('windows-1252');
    expect(detectEncoding(Buffer.from('plain ascii'))).toBe('utf-8');
  });
});

describe('helpers', () => {
  it('parses a content type and its charset', () => {
    expect(parseContentType('Text/CSV; charset="ISO-8859-1"')).toEqual({ type: 'text/csv', charset: 'ISO-8859-1' });
    expect(parseContentType(undefined)).toEqual({ type: '' });
  });

  it('tells text types from binary ones', () => {
    for (const type of ['text/csv', 'application/json', 'application/vnd.api+json', 'image/svg+xml', 'text/plain']) {
      expect(isTextMimeType(type)).toBe(true);
    }
    for (const type of ['image/png', 'application/pdf', 'application/octet-stream', 'application/zip']) {
      expect(isTextMimeType(type)).toBe(false);
    }
  });

  it('sees NUL bytes as binary unless a UTF-16 mark explains them', () => {
    expect(looksBinary(Buffer.from([0x61, 0, 0x62]))).toBe(true);
    expect(looksBinary(Buffer.from([0xff, 0xfe, 0x61, 0]))).toBe(false);
  });

  it('knows a CSV by type or by name', () => {
    expect(isCsv('text/csv')).toBe(true);
    expect(isCsv('text/plain', 'EXPORT.CSV')).toBe(true);
    expect(isCsv('text/plain', 'notes.txt')).toBe(false);
  });
});
