/**
 * The real Chrome DevTools frontend, in Debian's Chromium, driven through playwright-core. Chromium serves its
 * bundled DevTools over HTTP on its remote-debugging port; `js_app.html` is the Node layout that
 * `devtools://devtools/bundled/js_app.html` opens (automation cannot open `devtools://` URLs). Every action is a
 * named step and leaves a screenshot in the test's artefact folder.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import type { ArtifactDir } from './artifacts.js';
import type { Steps } from './steps.js';

/** Where Debian installs Chromium; CI provisions it with `npm run provision -- --with-browser`. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Launch switches: headless, no sandbox (root in CI), and nothing that reaches the network. */
export const CHROMIUM_ARGS = [
  '--remote-debugging-port=0',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
] as const;

/** How long DevTools may take to show a state (paused, a file, a value), in milliseconds. */
export const DEVTOOLS_UI_TIMEOUT_MS = 20_000;

/** The size of the DevTools window, so screenshots are comparable between runs. */
const VIEWPORT = { width: 1280, height: 720 } as const;

/** Chromium is not installed where the tests expect it. */
export class ChromiumMissing extends Error {
  override readonly name = 'ChromiumMissing';

  constructor() {
    super(
      `Chromium is not installed at ${CHROMIUM_PATH}: run \`npm run provision -- --with-browser\` ` +
        "(it installs Debian's chromium package), then run the tests again.",
    );
  }
}

/** Fails with the provisioning hint when Chromium is missing. */
export function assertChromiumInstalled(): void {
  if (!existsSync(CHROMIUM_PATH)) throw new ChromiumMissing();
}

/** One headless Chromium with a fresh profile, shared by the tests of a file. */
export class ChromiumBrowser {
  /** The remote-debugging port, which also serves the bundled DevTools frontend. */
  readonly debuggingPort: number;
  readonly #context: BrowserContext;
  readonly #profileDir: string;

  private constructor(context: BrowserContext, profileDir: string, debuggingPort: number) {
    this.#context = context;
    this.#profileDir = profileDir;
    this.debuggingPort = debuggingPort;
  }

  /** Launches Chromium on a fresh user data dir; the port comes from Chromium's own `DevToolsActivePort` file. */
  static async launch(): Promise<ChromiumBrowser> {
    assertChromiumInstalled();
    const profileDir = mkdtempSync(path.join(os.tmpdir(), 'lambda-debug-chromium-'));
    try {
      const context = await chromium.launchPersistentContext(profileDir, {
        executablePath: CHROMIUM_PATH,
        headless: true,
        args: [...CHROMIUM_ARGS],
        viewport: VIEWPORT,
      });
      const [portLine] = readFileSync(path.join(profileDir, 'DevToolsActivePort'), 'utf8').split('\n');
      const port = Number(portLine);
      if (!Number.isInteger(port) || port <= 0) {
        await context.close();
        throw new Error(`Chromium wrote no usable port in DevToolsActivePort (read "${portLine}")`);
      }
      return new ChromiumBrowser(context, profileDir, port);
    } catch (error) {
      rmSync(profileDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** The Origin the DevTools page sends when it connects: what a broker must be told to accept. */
  get devtoolsOrigin(): string {
    return `http://127.0.0.1:${this.debuggingPort}`;
  }

  /** The DevTools URL for a WebSocket target given without its scheme (`HOST:PORT/PATH?QUERY`). */
  devtoolsUrlForTarget(hostPortPath: string): string {
    return `${this.devtoolsOrigin}/devtools/js_app.html?ws=${encodeURIComponent(hostPortPath)}`;
  }

  /**
   * Turns a `devtools://devtools/bundled/...` URL (from `/json/list` or `lambda-debug url`) into the same page
   * served by this Chromium, keeping its query untouched.
   */
  devtoolsUrlFromFrontendUrl(frontendUrl: string): string {
    const prefix = 'devtools://devtools/bundled/';
    if (!frontendUrl.startsWith(prefix)) {
      throw new Error(`not a bundled DevTools URL: ${frontendUrl.slice(0, 60)}`);
    }
    return `${this.devtoolsOrigin}/devtools/${frontendUrl.slice(prefix.length)}`;
  }

  /** Opens DevTools at `url` in a new tab; each later step of `steps` saves a screenshot into `artifacts`. */
  async openDevTools(url: string, steps: Steps, artifacts: ArtifactDir): Promise<DevToolsWindow> {
    const page = await this.#context.newPage();
    const window = new DevToolsWindow(page, steps, artifacts);
    await steps.run('open Chrome DevTools (js_app.html) against the WebSocket target', async () => {
      await page.goto(url);
    });
    return window;
  }

  /** Closes the browser and removes its profile. */
  async close(): Promise<void> {
    await this.#context.close();
    rmSync(this.#profileDir, { recursive: true, force: true });
  }
}

/** One DevTools tab attached to one target. */
export class DevToolsWindow {
  readonly page: Page;
  readonly #steps: Steps;
  readonly #removeHook: () => void;

  constructor(page: Page, steps: Steps, artifacts: ArtifactDir) {
    this.page = page;
    this.#steps = steps;
    this.#removeHook = steps.onStepEnd(async (step, failed) => {
      if (page.isClosed()) return;
      await page.screenshot({ path: artifacts.file(`${step.label}${failed ? '-FAILED' : ''}.png`) });
    });
  }

  /** Waits for the "Debugger paused" banner (the entry pause of `--inspect-brk` or of a debugged handler). */
  async waitForDebuggerPaused(): Promise<void> {
    await this.#steps.run('DevTools shows "Debugger paused"', async () => {
      await this.#visible(this.page.getByText('Debugger paused', { exact: true }));
    });
  }

  /** Checks that the Sources panel shows a tab for `fileName` (the handler's file is open at the pause). */
  async expectSourceShown(fileName: string): Promise<void> {
    await this.#steps.run(`DevTools shows the source of ${fileName}`, async () => {
      await this.#visible(this.page.getByRole('tab', { name: fileName }));
    });
  }

  /** Sets a breakpoint by clicking the line number `line` (1-based) in the editor's gutter. */
  async setBreakpointInGutter(line: number): Promise<void> {
    await this.#steps.run(`set a breakpoint on line ${line} by clicking the gutter`, async () => {
      const gutter = this.page.locator('.cm-lineNumbers .cm-gutterElement', {
        hasText: new RegExp(`^${line}$`),
      });
      await gutter.first().click({ timeout: DEVTOOLS_UI_TIMEOUT_MS });
      // The Breakpoints pane lists the breakpoint (code snippet, then its line number) once DevTools set it.
      await this.#visible(
        this.page
          .locator('.breakpoint-item')
          .filter({ hasText: new RegExp(`${line}$`) })
          .first(),
      );
    });
  }

  /** Presses F8 (Resume script execution). */
  async pressResume(why: string): Promise<void> {
    await this.#steps.run(`press F8 to resume (${why})`, async () => {
      await this.page.keyboard.press('F8');
    });
  }

  /** Waits for the "Paused on breakpoint" banner. */
  async waitForPausedOnBreakpoint(): Promise<void> {
    await this.#steps.run('DevTools shows "Paused on breakpoint"', async () => {
      await this.#visible(this.page.getByText('Paused on breakpoint', { exact: true }));
    });
  }

  /** Waits until the Scope pane shows `name: <value>` and returns the value text as DevTools renders it. */
  async scopeValue(name: string, expected: string): Promise<string> {
    return this.#steps.run(`the Scope pane shows ${name} = ${expected}`, async () => {
      const entry = this.page
        .locator('li[role=treeitem]')
        .filter({ hasText: new RegExp(`^${escapeForRegExp(name)}: ${escapeForRegExp(expected)}$`) });
      await this.#visible(entry.first());
      const text = (await entry.first().textContent()) ?? '';
      return text
        .replace(/\s+/g, ' ')
        .slice(name.length + 2)
        .trim();
    });
  }

  /** Waits until the page shows `text` anywhere (a console notice, a status line). */
  async waitForText(text: string, stepName: string): Promise<void> {
    await this.#steps.run(stepName, async () => {
      await this.#visible(this.page.getByText(text).first());
    });
  }

  /** Closes the tab (DevTools disconnects as when a person closes the window). */
  async close(): Promise<void> {
    this.#removeHook();
    if (!this.page.isClosed()) await this.page.close();
  }

  async #visible(locator: Locator): Promise<void> {
    await locator.waitFor({ state: 'visible', timeout: DEVTOOLS_UI_TIMEOUT_MS });
  }
}

function escapeForRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
