import type { SyncRunResponseDto } from '@sluice/documents';
import { Format, Options, Params, SingleBar } from 'cli-progress';

/** `bar` redraws one line on a terminal, `lines` writes a line per change, `json` an object per change. */
export type ViewMode = 'bar' | 'lines' | 'json';

/** How a run shows its changes while it is followed. */
export interface RunView {
  /** A change of the run while it is queued or running (the first state seen included). */
  update(run: SyncRunResponseDto): void;
  /** The run's final state: succeeded, failed or cancelled. */
  finish(run: SyncRunResponseDto): void;
  /** Stops drawing without a final state (the operator pressed Ctrl-C, or the run is gone). */
  abandon(): void;
}

/** The moment the follower first saw the run running, and how far it was then (for the rate). */
export interface RateOrigin {
  at: number;
  processed: number;
}

/** What the progress of a run means at a moment, for a person. */
export interface ProgressFigures {
  processed: number;
  /** This run's total once discovery has ended; before that, the previous successful run's, if any. */
  total: number | null;
  /** The total is the previous run's, this one's is not known yet. */
  estimated: boolean;
  /** Items per second since the follower first saw the run running; null before any time has passed. */
  rate: number | null;
  /** Seconds left at that rate; null without a total or a rate. */
  etaSeconds: number | null;
}

export function progressFigures(
  run: SyncRunResponseDto,
  estimate: number | null,
  origin: RateOrigin | null,
  now: number,
): ProgressFigures {
  const { processed } = run.progress;
  const known = run.progress.total;
  const total = known ?? (estimate === null ? null : Math.max(estimate, processed));
  const estimated = known === null && total !== null;
  if (run.startedAt && run.finishedAt) {
    // Over: the rate of the whole run, by the times the worker recorded.
    const seconds = (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000;
    return { processed, total, estimated, rate: seconds > 0 ? processed / seconds : null, etaSeconds: 0 };
  }
  const seconds = origin ? (now - origin.at) / 1000 : 0;
  const rate = origin && seconds > 0 ? (processed - origin.processed) / seconds : null;
  const etaSeconds = total !== null && rate ? Math.max(0, (total - processed) / rate) : null;
  return { processed, total, estimated, rate, etaSeconds };
}

/** 850 ms, 4.2 s, 3m 05s, 1h 02m. */
export function formatDuration(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (whole < 3600) return `${Math.floor(whole / 60)}m ${pad(whole % 60)}s`;
  return `${Math.floor(whole / 3600)}h ${pad(Math.floor((whole % 3600) / 60))}m`;
}

function totalLabel(f: ProgressFigures): string {
  if (f.total === null) return '?';
  return f.estimated ? `~${f.total}` : String(f.total);
}

/** `6/11 items | 3.0/s | ETA 1.7 s`, with `?` for what is not known yet. */
export function countsLabel(f: ProgressFigures): string {
  const rate = f.rate === null ? '-' : f.rate.toFixed(1);
  const eta = f.etaSeconds === null ? '?' : formatDuration(f.etaSeconds);
  return `${f.processed}/${totalLabel(f)} items | ${rate}/s | ETA ${eta}`;
}

/** The line that closes a followed run, on stdout; why it failed goes to stderr separately. */
export function finalLine(run: SyncRunResponseDto): string {
  const p = run.progress;
  const took =
    run.startedAt && run.finishedAt
      ? ` in ${formatDuration(Math.max(0, Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000)}`
      : '';
  return (
    `Sync ${run.id} ${run.status}${took}: ${p.processed} processed ` +
    `(${p.created} created, ${p.updated} updated, ${p.unchanged} unchanged, ${p.deleted} deleted, ${p.failed} failed)`
  );
}

/** Remembers when the run was first seen running, so rates count only what this follower saw. */
class RateClock {
  origin: RateOrigin | null = null;

  note(run: SyncRunResponseDto): void {
    if (!this.origin && run.status === 'running') this.origin = { at: Date.now(), processed: run.progress.processed };
  }
}

class JsonView implements RunView {
  constructor(private readonly out: NodeJS.WritableStream) {}

  update(run: SyncRunResponseDto): void {
    this.out.write(`${JSON.stringify({ type: 'progress', data: run })}\n`);
  }

  finish(run: SyncRunResponseDto): void {
    this.out.write(`${JSON.stringify({ type: 'final', data: run })}\n`);
  }

  abandon(): void {}
}

class LinesView implements RunView {
  private readonly clock = new RateClock();

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly estimate: number | null,
  ) {}

  update(run: SyncRunResponseDto): void {
    this.clock.note(run);
    const figures = progressFigures(run, this.estimate, this.clock.origin, Date.now());
    this.out.write(`${run.status}: ${countsLabel(figures)}\n`);
  }

  finish(run: SyncRunResponseDto): void {
    this.out.write(`${finalLine(run)}\n`);
  }

  abandon(): void {}
}

/** A bar redrawn in place by cli-progress, recomputing rate and ETA at every redraw. */
class BarView implements RunView {
  private readonly clock = new RateClock();
  private readonly bar: SingleBar;
  private run: SyncRunResponseDto | null = null;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly estimate: number | null,
  ) {
    this.bar = new SingleBar({
      stream: out,
      format: (options, params) => this.render(options, params),
      barsize: 24,
      barCompleteChar: '\u2588',
      barIncompleteChar: '\u2591',
      hideCursor: true,
    });
  }

  update(run: SyncRunResponseDto): void {
    this.run = run;
    this.clock.note(run);
    const total = progressFigures(run, this.estimate, null, Date.now()).total ?? 0;
    if (!this.bar.isActive) {
      this.bar.start(total, run.progress.processed);
    } else {
      this.bar.setTotal(total);
      this.bar.update(run.progress.processed);
    }
  }

  finish(run: SyncRunResponseDto): void {
    this.update(run);
    this.bar.stop();
    this.out.write(`${finalLine(run)}\n`);
  }

  abandon(): void {
    this.bar.stop();
  }

  private render(options: Options, params: Params): string {
    if (!this.run) return '';
    const figures = progressFigures(this.run, this.estimate, this.clock.origin, Date.now());
    const share = figures.total ? Math.min(1, figures.processed / figures.total) : 0;
    const percent = figures.total ? `${Math.floor(share * 100)}%`.padStart(4) : '   ?';
    const bar = Format.BarFormat(params.total ? share : 0, options);
    return `${this.run.status.padEnd(9)} ${bar} ${percent} | ${countsLabel(figures)}`;
  }
}

/**
 * The view for a followed run: JSON lines when asked, a live bar on a terminal, a plain line per
 * change otherwise (a pipe or a log file). `estimate` stands in for the total until it is known.
 */
export function createRunView(mode: ViewMode, out: NodeJS.WriteStream, estimate: number | null): RunView {
  if (mode === 'json') return new JsonView(out);
  if (mode === 'bar') return new BarView(out, estimate);
  return new LinesView(out, estimate);
}
