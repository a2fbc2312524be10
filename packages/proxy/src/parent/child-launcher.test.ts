import { describe, expect, it } from 'vitest';
import { CHILD_NON_HEAP_RESERVE_MB, MIN_CHILD_HEAP_MB } from '../shared/limits.js';
import {
  childExecArgv,
  childHeapLimitMb,
  stripInspectorFlags,
  stripInspectorNodeOptions,
} from './child-launcher.js';

describe('child flags', () => {
  it('keeps Lambda flags and drops every inspector flag, in both forms', () => {
    expect(
      stripInspectorFlags([
        '--no-experimental-require-module',
        '--inspect',
        '--inspect=0.0.0.0:9229',
        '--inspect-brk=9230',
        '--inspect-port',
        '9231',
        '--inspect-port=9232',
        '--inspect-wait',
        '--inspect-publish-uid=http',
        '--debug-port',
        '5858',
        '--no-experimental-detect-module',
        '--max-semi-space-size=16',
        '--expose-gc',
      ]),
    ).toEqual([
      '--no-experimental-require-module',
      '--no-experimental-detect-module',
      '--max-semi-space-size=16',
      '--expose-gc',
    ]);
  });

  it('does not take the next flag for the value of an inspector flag', () => {
    expect(stripInspectorFlags(['--inspect-port', '--enable-source-maps'])).toEqual(['--enable-source-maps']);
  });

  it('strips NODE_OPTIONS, keeping quoted values, and drops it when nothing is left', () => {
    expect(stripInspectorNodeOptions('--inspect=9229 --require "/opt/my hook.js" --enable-source-maps')).toBe(
      '--require "/opt/my hook.js" --enable-source-maps',
    );
    expect(stripInspectorNodeOptions('--inspect-brk')).toBeUndefined();
    expect(stripInspectorNodeOptions(undefined)).toBeUndefined();
  });

  it('sizes the child heap so parent and child fit the function memory', () => {
    const parentRss = 60 * 1024 * 1024;
    expect(childHeapLimitMb(1024, parentRss)).toBe(1024 - 60 - CHILD_NON_HEAP_RESERVE_MB);
    expect(childHeapLimitMb(128, parentRss)).toBe(MIN_CHILD_HEAP_MB);
    expect(childHeapLimitMb(undefined, parentRss)).toBeUndefined();
    expect(childHeapLimitMb(Number.NaN, parentRss)).toBeUndefined();
  });

  it("replaces the parent's heap limit with the child's", () => {
    expect(childExecArgv(['--max-old-space-size=870', '--max-semi-space-size=16', '--inspect'], 300)).toEqual(
      ['--max-semi-space-size=16', '--max-old-space-size=300'],
    );
    expect(childExecArgv(['--max-old-space-size=870'], undefined)).toEqual(['--max-old-space-size=870']);
  });
});
