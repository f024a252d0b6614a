/** The dialog's focus trap: where Tab and Shift+Tab go from each place (Modal.tsx trapTarget). */
import { describe, expect, it } from 'vitest';
import { trapTarget } from '../../src-renderer/components/Modal';

describe('modal focus trap', () => {
  const items = ['close', 'name', 'company', 'save', 'cancel'];
  it('wraps at both ends and lets the browser move in between', () => {
    expect(trapTarget(items, 'cancel', false)).toBe('close');
    expect(trapTarget(items, 'close', true)).toBe('cancel');
    expect(trapTarget(items, 'name', false)).toBeNull();
    expect(trapTarget(items, 'save', true)).toBeNull();
  });
  it('pulls the focus back in from outside the dialog', () => {
    expect(trapTarget(items, 'body', false)).toBe('close');
    expect(trapTarget(items, null, true)).toBe('cancel');
  });
  it('has nothing to do in a dialog without focusable elements', () => {
    expect(trapTarget([], 'x', false)).toBeNull();
  });
});
