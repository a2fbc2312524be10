import { describe, expectTypeOf, it } from 'vitest';
import type { ProxyErrorType } from '../index.js';
import type { ProxyErrorTypeName } from './proxy-error-names.js';

describe('ProxyErrorTypeName', () => {
  it('names exactly the public ProxyErrorType constants', () => {
    expectTypeOf<(typeof ProxyErrorType)[keyof typeof ProxyErrorType]>().toEqualTypeOf<ProxyErrorTypeName>();
  });
});
