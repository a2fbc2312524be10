/**
 * Node's own command-line debugger, `node inspect HOST:PORT`, scripted through stdin. It reads `GET /json` on
 * that address, takes the first target and upgrades on the same host and port (Node 20 cannot take a `ws://`
 * URL). Each command waits for its expected output and the next `debug>` prompt instead of sleeping.
 */
import type { ArtifactDir } from './artifacts.js';
import { escapeRegExp } from './cdp-debugging.js';
import { TrackedProcess } from './processes.js';
import type { Steps } from './steps.js';

const PROMPT = 'debug> ';

/** A location `node inspect` reported: `break in file.js:3`. */
export interface CliBreak {
  readonly reason: 'Break on start' | 'break';
  readonly file: string;
  readonly line: number;
}

/** A running `node inspect` session. */
export class NodeInspectCli {
  readonly process: TrackedProcess;
  readonly #steps: Steps;
  readonly #artifacts: ArtifactDir | undefined;
  /** Offset in stdout from which the next command's output is read. */
  #cursor = 0;

  private constructor(child: TrackedProcess, steps: Steps, artifacts: ArtifactDir | undefined) {
    this.process = child;
    this.#steps = steps;
    this.#artifacts = artifacts;
  }

  /**
   * Starts `node inspect <hostPort>` and waits until it connected (its `connecting to ... ok` line and prompt).
   * `env` lets a test set `NODE_INSPECT_RESUME_ON_START` and the like; `cwd` decides how paths are printed.
   */
  static async attach(
    hostPort: string,
    steps: Steps,
    options: { artifacts?: ArtifactDir; env?: NodeJS.ProcessEnv; cwd?: string } = {},
  ): Promise<NodeInspectCli> {
    return steps.run(`start \`node inspect ${hostPort}\` and wait for it to connect`, async () => {
      const child = new TrackedProcess(process.execPath, ['inspect', hostPort], {
        env: { ...process.env, ...options.env, NODE_DISABLE_COLORS: '1' },
        // `node inspect` prints script paths relative to its working directory.
        cwd: options.cwd,
        description: `node inspect ${hostPort}`,
      });
      const cli = new NodeInspectCli(child, steps, options.artifacts);
      try {
        await cli.#waitForPromptAfter(new RegExp(`connecting to ${escapeRegExp(hostPort)} \\.\\.\\. ok`));
        return cli;
      } catch (error) {
        await child.stop();
        throw error;
      }
    });
  }

  /** Everything `node inspect` printed, with its backspaces removed, for artefacts and messages. */
  get output(): string {
    return clean(this.process.stdout);
  }

  /** Waits for the pause `node inspect` reports on its own after attaching (`Break on start in file:line`). */
  async waitForBreak(stepName: string): Promise<CliBreak> {
    return this.#steps.run(stepName, async () =>
      this.#parseBreak(await this.#waitForPromptAfter(BREAK_LINE)),
    );
  }

  /** `sb('file', line)`: sets a breakpoint by script name and 1-based line. */
  async setBreakpoint(file: string, line: number): Promise<void> {
    await this.#steps.run(`node inspect: sb('${file}', ${line})`, async () => {
      const text = await this.#command(`sb('${file}', ${line})`, new RegExp(`>\\s*${line}\\s`));
      if (/Could not resolve breakpoint|Uncaught/.test(text))
        throw new Error(`node inspect refused: ${text}`);
    });
  }

  /** `c`: continues and waits for the next `break in file:line`. */
  async continueToBreak(stepName: string): Promise<CliBreak> {
    return this.#steps.run(`node inspect: c (${stepName})`, async () =>
      this.#parseBreak(await this.#command('c', BREAK_LINE)),
    );
  }

  /** `exec <expression>`: prints an expression in the paused frame; returns what `node inspect` printed. */
  async exec(expression: string): Promise<string> {
    return this.#steps.run(`node inspect: exec ${expression}`, async () => {
      const text = await this.#command(`exec ${expression}`, /\S/);
      if (/Uncaught|ReferenceError/.test(text)) throw new Error(`evaluating "${expression}" failed: ${text}`);
      return text.trim();
    });
  }

  /** `bt`: the backtrace, one `#N function file:line:column` entry per frame. */
  async backtrace(): Promise<string[]> {
    return this.#steps.run('node inspect: bt', async () => {
      const text = await this.#command('bt', /#0 /);
      return text
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line.startsWith('#'));
    });
  }

  /** Waits until `node inspect` printed something matching `pattern` (console output arrives as `< text`). */
  async waitForOutput(pattern: RegExp, stepName: string): Promise<void> {
    await this.#steps.run(stepName, async () => {
      await this.process.waitUntil(
        () => (pattern.test(this.output) ? true : undefined),
        `output matching ${pattern}`,
      );
    });
  }

  /** `c` without waiting for a break: the debuggee runs to completion. */
  async continueToEnd(): Promise<void> {
    await this.#steps.run('node inspect: c (run to the end)', async () => {
      this.#write('c');
    });
  }

  /** `.exit`, then waits for `node inspect` to end; saves the transcript. */
  async exit(): Promise<void> {
    await this.#steps.run('node inspect: .exit', async () => {
      this.#write('.exit');
      await this.process.exited;
    });
    this.#artifacts?.writeText('node-inspect-transcript.txt', this.process.transcript());
  }

  /** Kills `node inspect` if it still runs and saves its transcript. */
  async stop(): Promise<void> {
    await this.process.stop();
    this.#artifacts?.writeText('node-inspect-transcript.txt', this.process.transcript());
  }

  #write(line: string): void {
    this.#cursor = this.output.length;
    this.process.child.stdin?.write(`${line}\n`);
  }

  /** Writes a command and returns its output once `expect` matched and a prompt followed it. */
  async #command(line: string, expect: RegExp): Promise<string> {
    this.#write(line);
    return this.#waitForPromptAfter(expect);
  }

  /**
   * Resolves with the output since the cursor up to the first prompt printed after a match of `expect`, and
   * moves the cursor past that prompt. The REPL prints a prompt before asynchronous events such as a break too,
   * which is why the prompt must follow the match. Offsets are into the cleaned output: removing backspaces
   * keeps earlier offsets valid as output grows.
   */
  #waitForPromptAfter(expect: RegExp): Promise<string> {
    const from = this.#cursor;
    return this.process.waitUntil(() => {
      let text = this.output.slice(from);
      let skipped = 0;
      if (text.startsWith(PROMPT)) {
        text = text.slice(PROMPT.length);
        skipped = PROMPT.length;
      }
      const match = expect.exec(text);
      if (!match) return undefined;
      const prompt = text.indexOf(PROMPT, match.index + match[0].length);
      if (prompt < 0) return undefined;
      this.#cursor = from + skipped + prompt + PROMPT.length;
      return text.slice(0, prompt);
    }, `output matching ${expect} followed by the "${PROMPT.trim()}" prompt`);
  }

  #parseBreak(text: string): CliBreak {
    const match = BREAK_LINE.exec(text);
    if (!match) throw new Error(`no break location in: ${text}`);
    return {
      reason: match[1] === 'Break on start' ? 'Break on start' : 'break',
      file: match[2]!,
      line: Number(match[3]),
    };
  }
}

const BREAK_LINE = /(Break on start|break) in (\S+?):(\d+)/;

const BACKSPACE = String.fromCharCode(8);

/** Removes the backspaces `node inspect` prints to erase its prompt before asynchronous output. */
function clean(text: string): string {
  return text.split(BACKSPACE).join('');
}
