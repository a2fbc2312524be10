import { describe, expect, it } from 'vitest';
import { COMMANDS, commanderLine } from './program.js';

describe('commanderLine', () => {
  it("turns commander's messages into one line that points at the command's help", () => {
    expect(commanderLine("error: unknown option '--fo'\n(Did you mean --fn?)", 'lambda-debug url')).toBe(
      "unknown option '--fo' (Did you mean --fn?). Run `lambda-debug url --help` for usage.",
    );
    expect(commanderLine("error: required option '--fn <id>' not specified", 'lambda-debug env')).toBe(
      "required option '--fn <id>' not specified. Run `lambda-debug env --help` for usage.",
    );
  });
});

describe('COMMANDS', () => {
  it('registers each command module once', () => {
    expect(new Set(COMMANDS).size).toBe(COMMANDS.length);
  });
});
