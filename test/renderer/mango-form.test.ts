import { describe, expect, it } from 'vitest';
import { diffMango, testDraft } from '../../src-renderer/screens/Mango';
import type { MangoSettingsView } from '../../src-shared/wire';

const saved: MangoSettingsView = {
  apiKey: 'key', apiSaltMasked: '••••alt1', saltConfigured: true, vpbxId: 'vpbx1', apiUrl: 'https://app.mango-office.ru/vpbx/',
  enabled: true, routingMode: 'popup', groupId: null, webhookUrl: 'https://relay/api/mango-webhook', lastTest: null, lastWebhookAt: null, lastGroupSync: null,
};
const form = { apiKey: 'key', apiSalt: '', vpbxId: 'vpbx1', apiUrl: 'https://app.mango-office.ru/vpbx/', enabled: true, routingMode: 'popup' as const, groupId: '' };

describe('#/mango: what «Тест подключения» sends', () => {
  it('nothing when the connection fields are as saved (the saved settings are tested)', () => {
    expect(testDraft(diffMango(saved, form))).toBeUndefined();
    expect(testDraft(diffMango(saved, { ...form, enabled: false, routingMode: 'api', vpbxId: 'other' }))).toBeUndefined();
  });

  it('the key, salt and host as typed when they differ from the saved ones', () => {
    expect(testDraft(diffMango(saved, { ...form, apiSalt: ' new-salt ' }))).toEqual({ apiSalt: 'new-salt' });
    expect(testDraft(diffMango(saved, { ...form, apiKey: 'k2', apiUrl: 'http://127.0.0.1:9/vpbx/', enabled: false }))).toEqual({ apiKey: 'k2', apiUrl: 'http://127.0.0.1:9/vpbx/' });
    // A key erased in the form is tested as empty, not replaced by the saved one.
    expect(testDraft(diffMango(saved, { ...form, apiKey: '' }))).toEqual({ apiKey: '' });
  });
});
