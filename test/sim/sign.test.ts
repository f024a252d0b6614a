import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mangoSign, parseSignedForm, signedForm, verifySign } from '../../tools/mango-sim/sign';

describe('mangoSign', () => {
  it('matches the PHP formula hash("sha256", key . json . salt) on a fixed vector', () => {
    const json = '{"command_id":"crm-42","from":{"extension":"101"},"to_number":"79161234567"}';
    // Computed independently with Python hashlib.
    expect(mangoSign('demo-key', json, 'demo-salt')).toBe('407de4f5503a6e804e773643ad8b48480f158d694e9d2dbda92af4102918fc81');
    expect(mangoSign('demo-key', json, 'demo-salt')).toBe(
      createHash('sha256').update('demo-key' + json + 'demo-salt').digest('hex'),
    );
  });

  it('hashes UTF-8 bytes (Cyrillic)', () => {
    expect(mangoSign('k', '{"name":"Иванов"}', 's')).toBe('de907ed7906368926c17d1e20f6db209dbda4c1e69bb2b6c414df7196c1c4f3b');
  });

  it('is not an HMAC', () => {
    const hmac = createHmac('sha256', 's').update('k{}').digest('hex');
    expect(mangoSign('k', '{}', 's')).not.toBe(hmac);
  });
});

describe('signedForm', () => {
  it('URL-encodes the three fields and signs the exact compact json', () => {
    const payload = { key: 'a+b/c==', text: 'x y&z', name: 'Пётр' };
    const body = signedForm('K', 'S', payload);
    expect(body).not.toContain('a+b'); // a raw "+" would decode to a space
    const fields = parseSignedForm(body);
    expect(fields.vpbx_api_key).toBe('K');
    expect(fields.json).toBe(JSON.stringify(payload));
    expect(fields.sign).toBe(mangoSign('K', JSON.stringify(payload), 'S'));
    expect(verifySign('K', fields.json!, 'S', fields.sign!)).toBe(true);
    expect(verifySign('K', fields.json! + ' ', 'S', fields.sign!)).toBe(false);
  });

  it('signs a pre-serialized string as-is', () => {
    const raw = '{"b":1,"a":2}';
    expect(parseSignedForm(signedForm('K', 'S', raw)).json).toBe(raw);
  });
});
