/** Answers the app's confirmation dialog (components/ConfirmDialog.tsx) in a browser test. */
import type { Page } from 'playwright-core';

/** Waits for the question, presses its confirm button (`yes`) or «Отмена»; returns what it asked, title and text. */
export async function answerConfirm(page: Page, yes: boolean): Promise<{ question: string; confirm: string }> {
  const dialog = page.getByTestId('confirm-dialog');
  await dialog.waitFor();
  const title = (await page.locator('.modal:has([data-testid="confirm-dialog"]) .modal-head h2').textContent()) ?? '';
  const text = (await dialog.locator('p').allTextContents()).join(' ');
  const confirm = (await dialog.getByTestId('confirm-yes').textContent()) ?? '';
  await dialog.getByTestId(yes ? 'confirm-yes' : 'confirm-no').click();
  await dialog.waitFor({ state: 'detached' });
  return { question: [title, text].filter(Boolean).join(' '), confirm };
}
