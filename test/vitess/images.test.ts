import { describe, expect, test } from 'bun:test';
import { DEFAULT_IMAGES, MINIMUM_VITESS_MAJOR, supportedVitessImage, vitessMajor } from '../../lib/vitess/images.ts';

describe('vitessMajor', () => {
  test('reads the major of version tags, with or without v, with suffixes and registry ports', () => {
    expect(vitessMajor('vitess/lite:v2.1.1')).toBe(2);
    expect(vitessMajor('vitess/lite:v24.0.4')).toBe(24);
    expect(vitessMajor('vitess/lite:v23.0.1-mysql80')).toBe(23);
    expect(vitessMajor('registry.example:5000/vitess/lite:19.0')).toBe(19);
  });

  test('no version in the tag: undefined (the user\'s call)', () => {
    expect(vitessMajor('vitess/lite')).toBeUndefined();
    expect(vitessMajor('vitess/lite:latest')).toBeUndefined();
    expect(vitessMajor('registry.example:5000/vitess/lite')).toBeUndefined();
    expect(vitessMajor('vitess/lite@sha256:0123')).toBeUndefined();
    expect(vitessMajor('my/vitess:main-20261201')).toBeUndefined();
  });
});

describe('supportedVitessImage', () => {
  test('a release older than the minimum is replaced by the pinned default, with a reason', () => {
    const { image, override } = supportedVitessImage('vitess/lite:v2.1.1');
    expect(image).toBe(DEFAULT_IMAGES.vitess);
    expect(override).toEqual({ requested: 'vitess/lite:v2.1.1', used: DEFAULT_IMAGES.vitess, reason: `Vitess 2 is older than ${MINIMUM_VITESS_MAJOR}, the oldest release the rendered commands run on` });
    expect(supportedVitessImage(`vitess/lite:v${MINIMUM_VITESS_MAJOR - 1}.0.9`).image).toBe(DEFAULT_IMAGES.vitess);
  });

  test('the minimum and newer, and unversioned tags, are kept as asked', () => {
    for (const image of [`vitess/lite:v${MINIMUM_VITESS_MAJOR}.0.0`, 'vitess/lite:v25.0.0', 'my/vitess:1', 'vitess/lite:latest']) {
      // 'my/vitess:1' has no minor: no version tag, kept.
      expect(supportedVitessImage(image)).toEqual({ image });
    }
  });

  test('the pinned default itself is supported', () => {
    expect(vitessMajor(DEFAULT_IMAGES.vitess)).toBeGreaterThanOrEqual(MINIMUM_VITESS_MAJOR);
  });
});
