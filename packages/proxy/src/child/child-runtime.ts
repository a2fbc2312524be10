/**
 * Runs one invocation in the child the way the runtime client in the parent would have run it:
 * - `callback` convention (aws-lambda-ric 3.x): the handler gets `(event, context, callback)`; a returned promise
 *   settles the invocation through `context.succeed` / `context.fail`; `callback(null, result)` waits for an empty
 *   event loop unless `context.callbackWaitsForEmptyEventLoop` is false; `succeed` / `fail` / `done` answer at
 *   once; only the first of them counts; a handler that never answers returns `null` once the loop is empty;
 * - `promise` convention (4.x): `await handler(event, context)`.
 * The handler is called as a method of an object named like the runtime's own (`Runtime`,
 * `BufferedInvokeProcessor`) under the property `handler`, so the stack frames a thrown error records read as they
 * would without the debugger.
 */
import type {
  CallerFrames,
  CallingConvention,
  ContextSnapshot,
  InvocationOutcome,
  SettledBy,
} from '@lambda-debug/shim-protocol';
import { rebuildContext } from '../shared/context-shim.js';
import type { HandlerFunction } from '../shared/handler-loader.js';
import { serializeResult, serializeThrown } from '../shared/result-codec.js';

/** What the child's entry point provides to one invocation. */
export interface InvocationHooks {
  /** Delivers the outcome (called once). */
  report(outcome: InvocationOutcome): void;
  /** The handler changed `context.callbackWaitsForEmptyEventLoop`. */
  callbackWaitsChanged(value: boolean): void;
  /** Pauses before the handler's first statement, when a debugger is attached (resolves when armed or skipped). */
  armEntryBreak?(handler: HandlerFunction): Promise<void>;
  /** Called right before the handler is called. */
  handlerStarting?(convention: CallingConvention): void;
}

/** One invocation's parameters. */
export interface InvocationInput {
  readonly handler: HandlerFunction;
  readonly event: unknown;
  readonly context: ContextSnapshot;
  readonly convention: CallingConvention;
  readonly receiverName: string;
  readonly breakOnStart: boolean;
  /** The runtime's frames in the parent, spliced into error stacks in place of the child's own. */
  readonly callerFrames?: CallerFrames;
}

type Callable = (...args: unknown[]) => unknown;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]{0,127}$/;
const receiverClasses = new Map<string, new () => { handler: Callable }>();

/**
 * An instance of a class named `receiverName`, holding the handler under `handler`. V8 names a method frame
 * after the class of its receiver as written in the source, so the class has to be declared with that name;
 * the name is checked to be a plain identifier first.
 */
function receiverFor(receiverName: string, handler: HandlerFunction): { handler: Callable } {
  const name = IDENTIFIER.test(receiverName) ? receiverName : 'Runtime';
  let Receiver = receiverClasses.get(name);
  if (!Receiver) {
    Receiver = new Function(`return class ${name} {}`)() as new () => { handler: Callable };
    receiverClasses.set(name, Receiver);
  }
  const receiver = new Receiver();
  receiver.handler = handler as unknown as Callable;
  return receiver;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return Boolean(value) && typeof (value as { then?: unknown }).then === 'function';
}

/** One invocation in the child. */
export class ChildInvocation {
  readonly #input: InvocationInput;
  readonly #hooks: InvocationHooks;
  #reported = false;
  /** What to do when the event loop empties (3.x's `beforeExit` listener). */
  #beforeExit: (() => void) | undefined;

  constructor(input: InvocationInput, hooks: InvocationHooks) {
    this.#input = input;
    this.#hooks = hooks;
  }

  /** The runtime's frames for this invocation, if the parent sent them. */
  get callerFrames(): CallerFrames | undefined {
    return this.#input.callerFrames;
  }

  /** True once the outcome was delivered. */
  get finished(): boolean {
    return this.#reported;
  }

  /** Called by the entry point on `process.on('beforeExit')`. */
  onEventLoopEmpty(): void {
    const listener = this.#beforeExit;
    this.#beforeExit = undefined;
    listener?.();
  }

  #report(outcome: InvocationOutcome): void {
    if (this.#reported) return;
    this.#reported = true;
    this.#beforeExit = undefined;
    this.#hooks.report(outcome);
  }

  /** Starts the handler. */
  async start(): Promise<void> {
    const { handler, breakOnStart } = this.#input;
    if (breakOnStart && this.#hooks.armEntryBreak) await this.#hooks.armEntryBreak(handler);
    this.#hooks.handlerStarting?.(this.#input.convention);
    if (this.#input.convention === 'callback') {
      this.#runCallbackConvention();
    } else {
      await this.#runPromiseConvention();
    }
  }

  #runCallbackConvention(): void {
    const { event } = this.#input;
    const frames = this.#input.callerFrames;
    const settle = (settledBy: SettledBy, error: unknown, result: unknown, failed: boolean) => {
      if (failed) {
        this.#report({ kind: 'error', error: serializeThrown(error, 'callback', frames), settledBy });
      } else {
        this.#report({ ...serializeResult(result), settledBy });
      }
    };
    let waitForEmptyEventLoop = this.#input.context.callbackWaitsForEmptyEventLoop;
    const isError = (error: unknown) => error !== undefined && error !== null;
    // `callback(null, result)` answers once the event loop is empty (unless the handler turned that off); the
    // parent then calls the runtime's own callback, which does the same in the Lambda process.
    const callback = (error?: unknown, result?: unknown) => {
      this.#beforeExit = undefined;
      if (isError(error) || !waitForEmptyEventLoop) {
        settle('callback', error, result, isError(error));
      } else {
        this.#beforeExit = () => {
          setImmediate(() => settle('callback', error, result, false));
        };
      }
    };
    const done = (error?: unknown, result?: unknown) => {
      this.#beforeExit = undefined;
      settle('done', error, result, isError(error));
    };
    const succeed = (result?: unknown) => {
      this.#beforeExit = undefined;
      settle('succeed', undefined, result, false);
    };
    // `fail()` without an error still fails (the runtime reports "handled"): the parent's runtime decides.
    const fail = (error?: unknown) => {
      this.#beforeExit = undefined;
      settle('fail', error, undefined, true);
    };
    // Only the first of callback/succeed/fail/done counts; the flag is set after the call, as in the runtime.
    let finished = false;
    const onlyFirst =
      <A extends unknown[]>(fn: (...args: A) => void) =>
      (...args: A): void => {
        if (!finished) {
          fn(...args);
          finished = true;
        }
      };
    const succeedOnce = onlyFirst(succeed);
    const failOnce = onlyFirst(fail);
    const context = rebuildContext(this.#input.context, {
      succeed: succeedOnce,
      fail: failOnce,
      done: onlyFirst(done),
      callbackWaits: {
        get: () => waitForEmptyEventLoop,
        set: (value: boolean) => {
          waitForEmptyEventLoop = value;
          this.#hooks.callbackWaitsChanged(Boolean(value));
        },
      },
    });
    // A handler that never answers and returns no promise: the runtime answers `null` once the event loop is
    // empty, which the parent leaves to its own runtime.
    this.#beforeExit = () => this.#report({ kind: 'value', settledBy: 'none' });
    const wrappedCallback = onlyFirst(callback);
    const receiver = receiverFor(this.#input.receiverName, this.#input.handler);
    try {
      const result = receiver.handler(event, context, wrappedCallback);
      if (isPromiseLike(result)) {
        // The runtime's chain: a settled promise answers through succeed/fail, which the parent mirrors by
        // settling its own promise ('promise').
        const resolved = onlyFirst((value: unknown) => {
          this.#beforeExit = undefined;
          settle('promise', undefined, value, false);
        });
        const rejected = onlyFirst((error: unknown) => {
          this.#beforeExit = undefined;
          settle('promise', error, undefined, true);
        });
        // Exactly the runtime's chain, `.catch` included: a thenable without one throws into the catch below.
        (result as unknown as Promise<unknown>).then(resolved, rejected).catch(rejected);
      }
    } catch (error) {
      wrappedCallback(error);
    }
  }

  async #runPromiseConvention(): Promise<void> {
    const context = rebuildContext(this.#input.context, {});
    const receiver = receiverFor(this.#input.receiverName, this.#input.handler);
    try {
      const result = await receiver.handler(this.#input.event, context);
      this.#report(serializeResult(result));
    } catch (error) {
      this.#report({ kind: 'error', error: serializeThrown(error, 'promise', this.#input.callerFrames) });
    }
  }
}
