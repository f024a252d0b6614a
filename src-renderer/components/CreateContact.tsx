/** Create a contact from a number in two clicks: "Создать контакт" → "Сохранить". */
import { useState } from 'react';
import type { Contact } from '../../src-shared/wire';
import { call, toAppError } from '../api';
import { formatPhone } from '../format';
import { S } from '../strings';
import { useContacts } from '../stores/contacts';
import { toast } from '../stores/toasts';
import { Modal } from './Modal';
import { Field } from './Field';

export async function createContact(input: { name: string; company: string; phones: string[]; emails?: string[]; note?: string }): Promise<Contact> {
  const name = input.name.trim() || input.company.trim() || (input.phones[0] ? formatPhone(input.phones[0]) : S.contact.unnamed);
  const c = await call('contacts:create', {
    name,
    company: input.company.trim(),
    phones: input.phones.filter(Boolean),
    emails: (input.emails ?? []).filter(Boolean),
    note: input.note ?? '',
  });
  useContacts.getState().upsert(c);
  return c;
}

export function CreateContactDialog({ phone, onClose, onCreated }: { phone: string; onClose: () => void; onCreated?: (c: Contact) => void }) {
  const [name, setName] = useState('');
  const [company, setCompany] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      const c = await createContact({ name, company, phones: [phone] });
      toast.ok(S.contact.created);
      onCreated?.(c);
      onClose();
    } catch (e) {
      setError(toAppError(e).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title={S.contact.newTitle} onClose={onClose} dirty={!!(name.trim() || company.trim())}>
      <form
        className="form"
        data-testid="create-contact-form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <Field label={S.contact.phones}>
          <input value={formatPhone(phone)} readOnly />
        </Field>
        <Field label={S.contact.name}>
          <input autoFocus value={name} onChange={(e) => setName(e.target.value)} maxLength={200} placeholder={formatPhone(phone)} />
        </Field>
        <Field label={S.contact.company}>
          <input value={company} onChange={(e) => setCompany(e.target.value)} maxLength={200} />
        </Field>
        {error ? <div className="error-box">{error}</div> : null}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? S.saving : S.save}
          </button>
          <button type="button" className="btn" onClick={onClose}>
            {S.cancel}
          </button>
        </div>
      </form>
    </Modal>
  );
}
