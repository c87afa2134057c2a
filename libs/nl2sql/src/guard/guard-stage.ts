import type { GuardIssue } from './sql-guard.types';

/** What a stage of the guard says: go on to the next stage, or stop here (a refusal). */
export type StageVerdict = 'next' | 'stop';

/** One named step of the guard; it reads and adds to the state of the check in progress. */
export interface GuardStage<S> {
  readonly name: string;
  readonly run: (state: S) => StageVerdict;
}

/** Runs the stages in their order; true when every stage said 'next'. */
export function runStages<S>(stages: readonly GuardStage<S>[], state: S): boolean {
  for (const stage of stages) if (stage.run(state) === 'stop') return false;
  return true;
}

/**
 * A stage that walks the parsed tree: if the walk throws, the statement is refused with
 * GUARD_ERROR (deny by default) rather than the check failing.
 */
export function denyOnThrow<S extends { errors: GuardIssue[] }>(stage: GuardStage<S>): GuardStage<S> {
  return {
    name: stage.name,
    run: (state) => {
      try {
        return stage.run(state);
      } catch (error) {
        state.errors.push({
          code: 'GUARD_ERROR',
          message: `The statement could not be checked: ${(error as Error).message}`,
        });
        return 'stop';
      }
    },
  };
}
