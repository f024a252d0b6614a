import { describe, expect, it } from 'vitest';
import { diffMango, testDraft, webhookUrlProblem } from '../../src-renderer/screens/Mango';
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

describe('#/mango: the webhook address Mango could not reach', () => {
  it('flags this computer’s and private networks’ addresses and plain HTTP; a public HTTPS one is fine', () => {
    for (const url of ['http://localhost:8787/api/mango-webhook/', 'http://127.0.0.1:8787/api/mango-webhook/', 'https://10.0.0.5/api/mango-webhook/', 'https://192.168.1.20/x', 'https://172.20.1.1/x', 'http://[::1]:8787/x', 'https://relay/x', 'https://pbx.local/x', 'not a url']) {
      expect(webhookUrlProblem(url), url).toBe('private');
    }
    expect(webhookUrlProblem('http://relay.example.ru/api/mango-webhook/')).toBe('http');
    expect(webhookUrlProblem('https://relay.example.ru/api/mango-webhook/')).toBeNull();
    expect(webhookUrlProblem('https://172.32.0.1/api/mango-webhook/')).toBeNull();
  });
});
