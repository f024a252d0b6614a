/**
 * Extension points other parts of the UI (the mail UI) fill without editing telephony screens.
 * Register from a module imported at start (src-renderer/mail/MailRoutes.tsx is):
 *   registerSlot('contactTimeline', MyContactMails)
 */
import type { ComponentType } from 'react';
import type { Contact } from '../src-shared/wire';

export interface SlotProps {
  /** Extra items for a contact card's timeline (mails with this contact). */
  contactTimeline: { contact: Contact };
}

type Registry = { [K in keyof SlotProps]: ComponentType<SlotProps[K]>[] };

const registry: Registry = { contactTimeline: [] };

export function registerSlot<K extends keyof SlotProps>(name: K, component: ComponentType<SlotProps[K]>): void {
  if (!registry[name].includes(component)) registry[name].push(component);
}

export function slotComponents<K extends keyof SlotProps>(name: K): readonly ComponentType<SlotProps[K]>[] {
  return registry[name];
}
