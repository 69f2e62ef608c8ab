import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('npm ci on a clean clone', () => {
  it('has every dependency install script reviewed in allowScripts, so the install prints no install-scripts warning', () => {
    // Act: the same check `npm ci` makes at its end (npm 11.16+), against the installed tree
    const out = execFileSync('npm', ['install-scripts', 'ls'], { encoding: 'utf8' });

    // Assess
    expect(out).toBe('No packages with unreviewed install scripts.\n');
  });
});
