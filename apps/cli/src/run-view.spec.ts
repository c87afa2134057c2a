import type { SyncRunResponseDto } from '@sluice/documents';
import { Writable } from 'node:stream';
import { countsLabel, createRunView, finalLine, formatDuration, progressFigures } from './run-view';

function run(overrides: Partial<SyncRunResponseDto> = {}, progress: Partial<SyncRunResponseDto['progress']> = {}) {
  return {
    id: 'run_1',
    connectorId: 'conn_1',
    status: 'running',
    force: false,
    progress: { processed: 0, total: null, created: 0, updated: 0, unchanged: 0, deleted: 0, failed: 0, ...progress },
    error: null,
    cancelRequested: false,
    startedAt: '2026-12-02T10:00:00.000Z',
    finishedAt: null,
    createdAt: '2026-12-02T10:00:00.000Z',
    ...overrides,
  } as SyncRunResponseDto;
}

/** A stream that keeps what is written; `isTTY` makes cli-progress draw on it. */
function capture(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString('utf8');
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(stream, { isTTY, columns: 120 });
  return { stream, text: () => text };
}

describe('run view', () => {
  describe('progressFigures', () => {
    const origin = { at: 1_000_000, processed: 10 };

    it('knows nothing of the total, rate or ETA before the run reports them', () => {
      const f = progressFigures(run({ status: 'queued', startedAt: null }), null, null, 1_000_000);
      expect(f).toEqual({ processed: 0, total: null, estimated: false, rate: null, etaSeconds: null });
      expect(countsLabel(f)).toBe('0/? items | -/s | ETA ?');
    });

    it('takes the rate from what this follower saw, and the ETA from the rate and the estimated total', () => {
      const f = progressFigures(run({}, { processed: 30 }), 110, origin, 1_000_000 + 4_000);
      expect(f).toEqual({ processed: 30, total: 110, estimated: true, rate: 5, etaSeconds: 16 });
      expect(countsLabel(f)).toBe('30/~110 items | 5.0/s | ETA 16.0 s');
    });

    it("prefers the run's own total to the estimate, and never shows an estimate below the count", () => {
      expect(progressFigures(run({}, { processed: 30, total: 40 }), 110, origin, 1_002_000)).toMatchObject({
        total: 40,
        estimated: false,
        etaSeconds: 1,
      });
      expect(progressFigures(run({}, { processed: 130 }), 110, null, 0)).toMatchObject({ total: 130, estimated: true });
    });

    it('gives a finished run the rate of the whole run, by the times the worker recorded', () => {
      const done = run({ status: 'succeeded', finishedAt: '2026-12-02T10:00:02.000Z' }, { processed: 11, total: 11 });
      expect(progressFigures(done, null, null, 0)).toEqual({
        processed: 11,
        total: 11,
        estimated: false,
        rate: 5.5,
        etaSeconds: 0,
      });
    });
  });

  it.each([
    [0.25, '250 ms'],
    [4.21, '4.2 s'],
    [185, '3m 05s'],
    [3720, '1h 02m'],
  ])('formats %s seconds as %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('closes with the outcome, the time it took and every count', () => {
    const failed = run(
      { status: 'failed', error: 'boom', finishedAt: '2026-12-02T10:00:00.500Z' },
      { processed: 3, created: 2, unchanged: 1 },
    );
    expect(finalLine(failed)).toBe(
      'Sync run_1 failed in 500 ms: 3 processed (2 created, 0 updated, 1 unchanged, 0 deleted, 0 failed)',
    );
  });

  it('writes one JSON object per change with --json, the last one final', () => {
    const out = capture(false);
    const view = createRunView('json', out.stream, null);
    view.update(run({ status: 'queued' }));
    view.update(run({}, { processed: 5 }));
    view.finish(run({ status: 'succeeded' }, { processed: 9, total: 9 }));
    const lines = out
      .text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.type, l.data.status, l.data.progress.processed])).toEqual([
      ['progress', 'queued', 0],
      ['progress', 'running', 5],
      ['final', 'succeeded', 9],
    ]);
  });

  it('writes a plain line per change when the output is not a terminal', () => {
    const out = capture(false);
    const view = createRunView('lines', out.stream, 20);
    view.update(run({ status: 'queued', startedAt: null }));
    view.finish(run({ status: 'succeeded', finishedAt: '2026-12-02T10:00:01.000Z' }, { processed: 4, total: 4 }));
    expect(out.text().split('\n')).toEqual([
      'queued: 0/~20 items | -/s | ETA ?',
      'Sync run_1 succeeded in 1.0 s: 4 processed (0 created, 0 updated, 0 unchanged, 0 deleted, 0 failed)',
      '',
    ]);
  });

  it('draws a bar on a terminal, filled as the count grows, and shows the cursor again at the end', () => {
    const out = capture(true);
    const view = createRunView('bar', out.stream, 8);
    view.update(run({}, { processed: 2 }));
    view.finish(run({ status: 'succeeded', finishedAt: '2026-12-02T10:00:04.000Z' }, { processed: 8, total: 8 }));
    const screen = out.text();
    expect(screen).toContain('\x1b[?25l');
    expect(screen).toMatch(/running {3}█{6}░{18} {2}25% \| 2\/~8 items/);
    expect(screen).toMatch(/succeeded █{24} 100% \| 8\/8 items \| 2\.0\/s \| ETA 0 ms/);
    expect(screen.indexOf('\x1b[?25h')).toBeGreaterThan(screen.lastIndexOf('100%'));
    expect(
      screen
        .trimEnd()
        .endsWith(
          'Sync run_1 succeeded in 4.0 s: 8 processed (0 created, 0 updated, 0 unchanged, 0 deleted, 0 failed)',
        ),
    ).toBe(true);
  });
});
