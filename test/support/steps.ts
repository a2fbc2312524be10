/**
 * Named steps for end-to-end scenarios. Every client driver runs its actions through a `Steps` log, so a failure
 * reads "step 04 'set a breakpoint on line 3 by clicking the gutter' failed: ..." instead of a bare timeout, and
 * every driver can hook the end of a step (the DevTools driver takes a screenshot there).
 */

/** How long one step may take before it fails with its own name. Generous: CI machines have two cores. */
export const STEP_TIMEOUT_MS = 15_000;

/** Called after each step, whether it passed or failed; `failed` is set on failure. */
export type StepHook = (step: StepRecord, failed: boolean) => Promise<void>;

/** One step as recorded in the log. */
export interface StepRecord {
  /** 1-based position in the scenario, shared by every driver that uses the same `Steps`. */
  readonly index: number;
  readonly name: string;
  /** `01-open-devtools`: a file-name-safe label, used for screenshots and transcripts. */
  readonly label: string;
}

/** A step that failed, with the step's name, the scenario's and the original error as `cause`. */
export class StepFailure extends Error {
  override readonly name = 'StepFailure';
  readonly step: StepRecord;
  readonly scenario: string;

  constructor(scenario: string, step: StepRecord, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`[${scenario}] step ${pad(step.index)} '${step.name}' failed: ${reason}`, { cause });
    this.step = step;
    this.scenario = scenario;
  }
}

/** Options of one step. */
export interface StepOptions {
  /** Overrides `STEP_TIMEOUT_MS` for a step known to be slow (launching a browser, a deadline scenario). */
  readonly timeoutMs?: number;
}

/** The ordered log of a scenario's steps. */
export class Steps {
  readonly scenario: string;
  readonly #hooks: StepHook[] = [];
  readonly #done: StepRecord[] = [];
  #next = 1;

  constructor(scenario: string) {
    this.scenario = scenario;
  }

  /** Names of the steps that completed, in order. */
  get completed(): readonly StepRecord[] {
    return this.#done;
  }

  /** Registers a hook run at the end of each later step; returns a function that removes it. */
  onStepEnd(hook: StepHook): () => void {
    this.#hooks.push(hook);
    return () => {
      const at = this.#hooks.indexOf(hook);
      if (at >= 0) this.#hooks.splice(at, 1);
    };
  }

  /**
   * Runs one named step. A throw or a step that outlives its timeout becomes a `StepFailure` naming the step;
   * the timer is always cleared so no timer outlives the test.
   */
  async run<T>(name: string, action: () => Promise<T>, options: StepOptions = {}): Promise<T> {
    const index = this.#next++;
    const step: StepRecord = { index, name, label: `${pad(index)}-${slug(name)}` };
    const timeoutMs = options.timeoutMs ?? STEP_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no result within ${timeoutMs} ms (the step's own limit)`)),
        timeoutMs,
      );
    });
    try {
      const value = await Promise.race([action(), timedOut]);
      this.#done.push(step);
      await this.#runHooks(step, false);
      return value;
    } catch (error) {
      await this.#runHooks(step, true);
      if (error instanceof StepFailure) throw error;
      throw new StepFailure(this.scenario, step, error);
    } finally {
      clearTimeout(timer);
    }
  }

  async #runHooks(step: StepRecord, failed: boolean): Promise<void> {
    for (const hook of this.#hooks) {
      // A hook (a screenshot) that fails must not hide the step's own result.
      await hook(step, failed).catch(() => undefined);
    }
  }
}

function pad(index: number): string {
  return String(index).padStart(2, '0');
}

/** A lower-case, dash-separated, file-name-safe version of `text`, at most 60 characters. */
export function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60)
      .replace(/-+$/g, '') || 'step'
  );
}
