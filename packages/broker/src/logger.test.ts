import { describe, expect, it } from 'vitest';
import { createLogger, format } from 'winston';
import Transport from 'winston-transport';
import { createBrokerLogger, maskUrl, redactingLogger } from './logger.js';

class Lines extends Transport {
  readonly lines: string[] = [];
  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    this.lines.push(String(info[Symbol.for('message')]));
    next();
  }
}

function capture(options: Parameters<typeof createBrokerLogger>[0]) {
  const logger = createBrokerLogger(options);
  logger.clear();
  const lines = new Lines();
  logger.add(lines);
  return { logger, lines: lines.lines };
}

describe('maskUrl', () => {
  it('keeps the path and masks every query value', () => {
    expect(maskUrl('/fn/s?token=ld1.debugger.abc&fn=x')).toBe('/fn/s?token=***&fn=***');
    expect(maskUrl('/fn')).toBe('/fn');
    expect(maskUrl('/fn?flag')).toBe('/fn?flag');
    expect(maskUrl(undefined)).toBe('');
  });
});

describe('createBrokerLogger', () => {
  it('writes one JSON object per line by default', () => {
    const { logger, lines } = capture({});
    logger.info('session registered', { sessionId: 's1' });
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      level: 'info',
      message: 'session registered',
      sessionId: 's1',
    });
  });

  it('writes readable text with format pretty', () => {
    const { logger, lines } = capture({ format: 'pretty' });
    logger.child({ tag: 'session' }).warn('debugger detached', { reason: 'closed', attachedMs: 5 });
    expect(lines[0]).toMatch(/^\S+ warn {2}\[session\] debugger detached reason=closed attachedMs=5$/);
  });

  it('honours the level and refuses unknown levels', () => {
    const { logger, lines } = capture({ level: 'warn' });
    logger.info('quiet');
    logger.warn('loud');
    expect(lines).toHaveLength(1);
    expect(() => createBrokerLogger({ level: 'chatty' })).toThrow(/not one of/);
  });

  it('masks token-shaped strings and secret-named fields, whatever the caller passes', () => {
    const { logger, lines } = capture({});
    logger.warn('presented ld1.debugger.c2VjcmV0LXRva2Vu-_x to us', {
      token: 'raw',
      Authorization: 'Bearer x',
    });
    const line = lines[0] ?? '';
    expect(line).not.toContain('c2VjcmV0LXRva2Vu');
    expect(line).toContain('ld1.debugger.***');
    expect(JSON.parse(line)).toMatchObject({ token: '***', Authorization: '***' });
  });
});

describe('redactingLogger', () => {
  it('masks tokens and the secret before any logger the broker is given sees them', () => {
    const lines = new Lines();
    const target = createLogger({ level: 'debug', format: format.json(), transports: [lines] });
    const secret = 'the-broker-secret-value';
    const logger = redactingLogger(target, [secret]).child({ tag: 'session' });
    logger.info(`secret ${secret} in a message`, {
      detail: 'ld1.lambda.dG9rZW4tdmFsdWU in a field',
      nested: { reason: `also ${secret}` },
    });
    logger.debug('still at debug');
    const entry = JSON.parse(lines.lines[0] ?? '') as Record<string, unknown>;
    expect(entry).toMatchObject({
      level: 'info',
      tag: 'session',
      message: 'secret *** in a message',
      detail: 'ld1.lambda.*** in a field',
      nested: { reason: 'also ***' },
    });
    expect(lines.lines).toHaveLength(2);
  });
});
