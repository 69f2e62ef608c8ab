import { describe, expect, it } from 'vitest';
import { youngGenerationChosen } from '../../../lambda/cli/young-generation.js';

describe('the young-generation flags a user gave Node', () => {
  it('are seen on the command line and in NODE_OPTIONS, in either spelling', () => {
    expect(youngGenerationChosen(['--max-semi-space-size=4'], undefined)).toBe(true);
    expect(youngGenerationChosen(['--max_semi_space_size=4'], undefined)).toBe(true);
    expect(youngGenerationChosen(['--semi-space-growth-factor=2'], undefined)).toBe(true);
    expect(youngGenerationChosen([], '--enable-source-maps --max-semi-space-size=2')).toBe(true);
    expect(youngGenerationChosen([], '--min-semi-space-size=1')).toBe(true);
    expect(youngGenerationChosen([], '--max-young-generation-size=8')).toBe(true);
  });

  it('are not other flags, nor none', () => {
    expect(youngGenerationChosen([], undefined)).toBe(false);
    expect(youngGenerationChosen(['--enable-source-maps', '--stack-size=984'], '--max-old-space-size=512')).toBe(false);
  });
});
