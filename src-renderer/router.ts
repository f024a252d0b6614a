/** A tiny hash router: `#/calls`, `#/contacts/12`, `#/contacts/new?phone=…`, `#/popup`, `#/mail…`. */
import { useSyncExternalStore } from 'react';

export interface Route {
  /** Path without the query: "/", "/calls", "/contacts/12". */
  path: string;
  /** First path segment: "", "calls", "contacts", "mail"… */
  section: string;
  /** Remaining segments. */
  parts: string[];
  query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  let h = hash.startsWith('#') ? hash.slice(1) : hash;
  if (!h.startsWith('/')) h = '/' + h;
  const q = h.indexOf('?');
  const path = q >= 0 ? h.slice(0, q) : h;
  const query = new URLSearchParams(q >= 0 ? h.slice(q + 1) : '');
  const segs = path.split('/').filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  return { path: path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path, section: segs[0] ?? '', parts: segs.slice(1), query };
}

/** This page is the Electron popup window's (`#/popup`): it loads and listens only for popups. */
export function isPopupWindow(): boolean {
  return typeof location !== 'undefined' && location.hash.startsWith('#/popup');
}

function subscribe(cb: () => void): () => void {
  window.addEventListener('hashchange', cb);
  return () => window.removeEventListener('hashchange', cb);
}

function snapshot(): string {
  return window.location.hash;
}

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, snapshot, () => '');
  return parseHash(hash);
}

export function navigate(to: string): void {
  const target = to.startsWith('#') ? to : '#' + to;
  if (window.location.hash !== target) window.location.hash = target;
}

export function href(to: string): string {
  return '#' + to;
}
