/**
 * `#/contacts/:id`: name, company, phones, emails, note; timeline of calls (plus the mail UI's
 * slot); edit; merge with another contact. `#/contacts/new?phone=…` creates one.
 */
import { useCallback, useEffect, useState } from 'react';
import type { Call, Contact } from '../../src-shared/wire';
import { call as invoke, toAppError } from '../api';
import { CallLine } from '../components/CallLine';
import { createContact } from '../components/CreateContact';
import { Modal } from '../components/Modal';
import { Field } from '../components/Field';
import { PhoneLink } from '../components/PhoneLink';
import { RecordingPlayer } from '../components/RecordingPlayer';
import { IconPlay, IconUser } from '../components/icons';
import { countCalls, formatDateTime, formatPhone, normalizePhone } from '../format';
import { formatPhoneWithExt, isExternalNumber, normalizePhoneWithExt, phoneExtension } from '../../src-shared/phone';
import { href, navigate } from '../router';
import { slotComponents } from '../slots';
import { S } from '../strings';
import { useContacts } from '../stores/contacts';
import { useMe } from '../stores/session';
import { toast } from '../stores/toasts';
import { askConfirm } from '../stores/confirm';

interface Draft {
  name: string;
  company: string;
  phones: string;
  emails: string;
  note: string;
}

function toDraft(c: Contact | null, phone?: string): Draft {
  return {
    name: c?.name ?? '',
    company: c?.company ?? '',
    phones: c ? c.phones.map((p) => formatPhoneWithExt(p)).join('\n') : phone ? formatPhone(phone) : '',
    emails: c?.emails.join('\n') ?? '',
    note: c?.note ?? '',
  };
}

function lines(s: string): string[] {
  return s
    .split(/[\n,;]+/)
    .map((x) => x.trim())
    .filter(Boolean);
}

function draftPhones(s: string): string[] {
  // Extensions kept («доб. 215»): the relay stores them with the number.
  return lines(s).map((p) => normalizePhoneWithExt(p) ?? p);
}

function ContactForm({ initial, onSave, onCancel, busy, error }: { initial: Draft; onSave: (d: Draft) => void; onCancel: () => void; busy: boolean; error: string | null }) {
  const [d, setD] = useState(initial);
  const set = (k: keyof Draft) => (e: { target: { value: string } }) => setD({ ...d, [k]: e.target.value });
  return (
    <form
      className="form contact-form"
      data-testid="contact-form"
      onSubmit={(e) => {
        e.preventDefault();
        onSave(d);
      }}
    >
      <div className="form-row">
        <Field label={S.contact.name}>
          <input name="name" value={d.name} onChange={set('name')} maxLength={200} autoFocus />
        </Field>
        <Field label={S.contact.company}>
          <input name="company" value={d.company} onChange={set('company')} maxLength={200} />
        </Field>
      </div>
      <div className="form-row">
        <Field label={S.contact.phones} hint={S.contact.phonesHint}>
          <textarea name="phones" rows={3} value={d.phones} onChange={set('phones')} />
        </Field>
        <Field label={S.contact.emails} hint={S.contact.emailsHint}>
          <textarea name="emails" rows={3} value={d.emails} onChange={set('emails')} />
        </Field>
      </div>
      <Field label={S.contact.note}>
        <textarea name="note" rows={4} value={d.note} onChange={set('note')} maxLength={5000} />
      </Field>
      {error ? <div className="error-box">{error}</div> : null}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={busy} data-testid="contact-save">
          {busy ? S.saving : S.save}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          {S.cancel}
        </button>
      </div>
    </form>
  );
}

function MergeDialog({ keep, onClose, onMerged }: { keep: Contact; onClose: () => void; onMerged: (c: Contact) => void }) {
  const [q, setQ] = useState('');
  const [found, setFound] = useState<Contact[]>([]);
  const [picked, setPicked] = useState<Contact | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    const t = setTimeout(() => {
      invoke('contacts:list', { search: q.trim() || undefined })
        .then((list) => alive && setFound(list.filter((c) => c.id !== keep.id).slice(0, 50)))
        .catch((e) => alive && setError(toAppError(e).message));
    }, 250);
    return () => {
      alive = false;
      clearTimeout(t);
    };
  }, [q, keep.id]);
  const doMerge = async () => {
    if (!picked) return;
    setBusy(true);
    setError(null);
    try {
      const merged = await invoke('contacts:merge', { keepId: keep.id, mergeId: picked.id });
      useContacts.getState().remove(picked.id);
      useContacts.getState().upsert(merged);
      toast.ok(S.contact.merged);
      onMerged(merged);
    } catch (e) {
      setError(toAppError(e).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title={S.contact.mergeTitle} onClose={onClose} wide>
      <p className="muted">{S.contact.mergeHint}</p>
      <input className="input-block" type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder={S.contact.mergeSearch} autoFocus data-testid="merge-search" />
      <ul className="pick-list">
        {found.length === 0 ? <li className="muted">{S.contact.nothingFound}</li> : null}
        {found.map((c) => (
          <li key={c.id}>
            <button type="button" className={`pick${picked?.id === c.id ? ' picked' : ''}`} onClick={() => setPicked(c)} data-testid="merge-candidate">
              <strong>{c.name || S.contact.unnamed}</strong>
              <span className="muted">
                {c.company ? ` · ${c.company}` : ''}
                {c.phones.length ? ` · ${c.phones.map((p) => formatPhoneWithExt(p)).join(', ')}` : ''}
              </span>
            </button>
          </li>
        ))}
      </ul>
      {picked ? <p className="warn-box">{S.contact.mergeConfirm(keep.name || S.contact.unnamed, picked.name || S.contact.unnamed)}</p> : null}
      {error ? <div className="error-box">{error}</div> : null}
      <div className="form-actions">
        <button type="button" className="btn btn-danger" disabled={!picked || busy} onClick={() => void doMerge()} data-testid="merge-do">
          {S.contact.mergeDo}
        </button>
        <button type="button" className="btn" onClick={onClose}>
          {S.cancel}
        </button>
      </div>
    </Modal>
  );
}

function Timeline({ contact, calls, onCommented }: { contact: Contact; calls: Call[]; onCommented: (call: Call) => void }) {
  const [recording, setRecording] = useState<string | null>(null);
  const extra = slotComponents('contactTimeline');
  return (
    <section className="card">
      <div className="card-head">
        <h2>{S.contact.timeline}</h2>
        <span className="muted">{countCalls(calls.length)}</span>
      </div>
      {recording ? <RecordingPlayer key={recording} recordingId={recording} onClose={() => setRecording(null)} /> : null}
      {calls.length === 0 ? <p className="muted empty">{S.contact.timelineEmpty}</p> : null}
      <div className="call-lines timeline" data-testid="contact-timeline">
        {calls.map((c) => {
          const rec = c.recordings.find((r) => r.state === 'available' || r.state === 'completed');
          return (
            <div key={c.id} className="timeline-item">
              <CallLine call={c} showDate contact={null} onCommented={onCommented} />
              {rec ? (
                <button type="button" className="icon-btn" title={S.calls.play} aria-label={S.calls.play} onClick={() => setRecording(rec.id)}>
                  <IconPlay size={14} />
                </button>
              ) : (
                <span className="icon-spacer" />
              )}
            </div>
          );
        })}
      </div>
      {extra.map((Comp, i) => (
        <div className="timeline-slot" key={i}>
          <Comp contact={contact} />
        </div>
      ))}
    </section>
  );
}

export function NewContact({ phone }: { phone: string | null }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <div className="page">
      <header className="page-head">
        <button type="button" className="link-btn" onClick={() => history.back()}>
          {S.contact.back}
        </button>
        <h1>{S.contact.newTitle}</h1>
      </header>
      <section className="card">
        <ContactForm
          initial={toDraft(null, phone ?? undefined)}
          busy={busy}
          error={error}
          onCancel={() => history.back()}
          onSave={async (d) => {
            setBusy(true);
            setError(null);
            try {
              const c = await createContact({ name: d.name, company: d.company, phones: draftPhones(d.phones), emails: lines(d.emails), note: d.note });
              toast.ok(S.contact.created);
              navigate(`/contacts/${c.id}`);
            } catch (e) {
              setError(toAppError(e).message);
            } finally {
              setBusy(false);
            }
          }}
        />
      </section>
    </div>
  );
}

export function ContactCard({ id }: { id: number }) {
  const [data, setData] = useState<{ contact: Contact; calls: Call[] } | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);
  const [merging, setMerging] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const me = useMe();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const r = await invoke('contacts:get', { id });
      setData(r);
      setLoadError(null);
      useContacts.getState().upsert(r.contact);
    } catch (e) {
      setLoadError(toAppError(e).message);
    }
  }, [id]);

  useEffect(() => {
    setData(null);
    setEditing(false);
    void load();
  }, [load]);

  /** «Удалить контакт»: for every employee, after a confirmation; then back to the directory. */
  const remove = async () => {
    if (!data) return;
    const name = data.contact.name || S.contact.unnamed;
    if (!(await askConfirm(S.contact.deleteConfirm(name), S.contact.delete))) return;
    setDeleting(true);
    try {
      await invoke('contacts:delete', { id: data.contact.id });
      useContacts.getState().remove(data.contact.id);
      toast.ok(S.contact.deleted(name));
      navigate('/contacts');
    } catch (e) {
      toast.error(toAppError(e).message);
      setDeleting(false);
    }
  };

  if (loadError && !data) {
    return (
      <div className="page">
        <button type="button" className="link-btn" onClick={() => history.back()}>
          {S.contact.back}
        </button>
        <div className="error-box">{loadError || S.contact.notFound}</div>
      </div>
    );
  }
  if (!data) return <div className="page muted">{S.loading}</div>;
  const { contact, calls } = data;
  const sorted = calls.slice().sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt));

  return (
    <div className="page contact-page" data-testid="contact-card">
      <header className="page-head">
        <button type="button" className="link-btn" onClick={() => history.back()}>
          {S.contact.back}
        </button>
      </header>
      <section className="card contact-head">
        <div className="avatar">
          <IconUser size={28} />
        </div>
        {editing ? (
          <div className="grow">
            <ContactForm
              initial={toDraft(contact)}
              busy={busy}
              error={error}
              onCancel={() => setEditing(false)}
              onSave={async (d) => {
                setBusy(true);
                setError(null);
                try {
                  const updated = await invoke('contacts:update', {
                    id: contact.id,
                    patch: { name: d.name.trim(), company: d.company.trim(), phones: draftPhones(d.phones), emails: lines(d.emails), note: d.note },
                  });
                  useContacts.getState().upsert(updated);
                  setData({ contact: updated, calls });
                  setEditing(false);
                  toast.ok(S.contact.saved);
                  void load();
                } catch (e) {
                  setError(toAppError(e).message);
                } finally {
                  setBusy(false);
                }
              }}
            />
          </div>
        ) : (
          <div className="grow contact-info">
            <h1 data-testid="contact-name">{contact.name || S.contact.unnamed}</h1>
            <div className="contact-company">{contact.company || <span className="muted">{S.contact.noCompany}</span>}</div>
            <dl className="kv">
              <dt>{S.contact.phones}</dt>
              <dd>
                {contact.phones.length ? (
                  contact.phones.map((p) => (
                    <div key={p}>
                      <PhoneLink number={p} />
                      {phoneExtension(p) && isExternalNumber(normalizePhone(p)) ? <span data-testid="contact-phone-ext"> {S.contact.ext(phoneExtension(p)!)}</span> : null}
                    </div>
                  ))
                ) : (
                  <span className="muted">{S.dash}</span>
                )}
              </dd>
              <dt>{S.contact.emails}</dt>
              <dd>
                {contact.emails.length ? (
                  contact.emails.map((m) => (
                    <div key={m}>
                      {/* The app's own mail compose, as «Написать письмо» (ContactMails), not an outside client. */}
                      <a href={href(`/mail/compose?to=${encodeURIComponent(m)}`)} title={S.contact.writeMail(m)} data-testid="contact-email">
                        {m}
                      </a>
                    </div>
                  ))
                ) : (
                  <span className="muted">{S.dash}</span>
                )}
              </dd>
              <dt>{S.contact.note}</dt>
              <dd className="note">{contact.note || <span className="muted">{S.contact.noNote}</span>}</dd>
            </dl>
            <p className="muted small">
              {S.contact.createdAt}: {formatDateTime(contact.createdAt)}
            </p>
          </div>
        )}
        {!editing ? (
          <div className="contact-actions">
            <button type="button" className="btn" onClick={() => setEditing(true)} data-testid="contact-edit">
              {S.contact.edit}
            </button>
            <button type="button" className="btn" onClick={() => setMerging(true)} data-testid="contact-merge">
              {S.contact.merge}
            </button>
            {me?.role === 'admin' ? (
              <button type="button" className="btn btn-danger-ghost" disabled={deleting} onClick={() => void remove()} data-testid="contact-delete">
                {S.contact.delete}
              </button>
            ) : null}
          </div>
        ) : null}
      </section>
      <Timeline
        contact={contact}
        calls={sorted}
        onCommented={(updated) => setData((d) => (d ? { ...d, calls: d.calls.map((x) => (x.id === updated.id ? updated : x)) } : d))}
      />
      {merging ? (
        <MergeDialog
          keep={contact}
          onClose={() => setMerging(false)}
          onMerged={(m) => {
            setMerging(false);
            setData({ contact: m, calls });
            void load();
          }}
        />
      ) : null}
    </div>
  );
}
