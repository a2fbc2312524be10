import {
  DEFAULT_DEBUGGER_PORT as BROKER_DEBUGGER_PORT,
  DEFAULT_HOST as BROKER_HOST,
  DEFAULT_LAMBDA_PORT as BROKER_LAMBDA_PORT,
  LOG_LEVELS,
} from '@lambda-debug/broker';
import { describe, expect, it } from 'vitest';
import {
  BROKER_LOG_LEVELS,
  DEFAULT_BROKER_HOST,
  DEFAULT_DEBUGGER_PORT,
  DEFAULT_LAMBDA_PORT,
} from './broker-defaults.js';

describe('broker defaults kept in the CLI for a fast start', () => {
  it("equal the broker's own", () => {
    expect(DEFAULT_BROKER_HOST).toBe(BROKER_HOST);
    expect(DEFAULT_LAMBDA_PORT).toBe(BROKER_LAMBDA_PORT);
    expect(DEFAULT_DEBUGGER_PORT).toBe(BROKER_DEBUGGER_PORT);
    expect(BROKER_LOG_LEVELS).toEqual(LOG_LEVELS);
  });
});
