import { describe, expect, it } from 'vitest';
import { signatureBlock, swapSignature } from '../../src-shared/mail-signature';

const A = 'С уважением,\nАлиса';
const B = 'Борис Петров\nотдел снабжения';

describe('mail signature in the compose text', () => {
  it('is set apart by the "-- " line; blank signatures add nothing', () => {
    expect(signatureBlock('С уважением,\r\nАлиса\r\n\r\n')).toBe('-- \nС уважением,\nАлиса');
    expect(signatureBlock(' \n ')).toBe('');
  });

  it('switching «От кого» swaps an unchanged signature, keeps what the user wrote and the quote', () => {
    const text = `Добрый день!\n\n-- \n${A}\n\n12 мая, Боб пишет:\n> вопрос\n`;
    expect(swapSignature(text, A, B)).toBe(`Добрый день!\n\n-- \n${B}\n\n12 мая, Боб пишет:\n> вопрос\n`);
    // To an account without a signature: the block goes, with the blank lines before it.
    expect(swapSignature(text, A, '')).toBe(`Добрый день!\n\n12 мая, Боб пишет:\n> вопрос\n`);
    // An empty message gets the new account's signature.
    expect(swapSignature(`\n\n-- \n${A}`, A, B)).toBe(`\n\n-- \n${B}`);
    expect(swapSignature('', '', B)).toBe(`\n\n-- \n${B}`);
  });

  it('leaves a signature the user edited alone', () => {
    const edited = `Текст\n\n-- \nС уважением,\nАлиса (в отпуске до 1 июня)`;
    expect(swapSignature(edited, A, B)).toBe(edited);
    expect(swapSignature('Уже написан текст', '', B)).toBe('Уже написан текст');
  });
});
