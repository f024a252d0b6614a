/** Typed event fan-out: listeners per name plus "any" listeners for transports (IPC, bridge). */
export class Emitter<M extends Record<string, unknown>> {
  private readonly byName = new Map<keyof M, Set<(payload: never) => void>>();
  private readonly any = new Set<(name: keyof M, payload: M[keyof M]) => void>();

  on<K extends keyof M>(name: K, listener: (payload: M[K]) => void): () => void {
    let set = this.byName.get(name);
    if (!set) this.byName.set(name, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => void set.delete(listener as (payload: never) => void);
  }

  onAny(listener: (name: keyof M, payload: M[keyof M]) => void): () => void {
    this.any.add(listener);
    return () => void this.any.delete(listener);
  }

  emit<K extends keyof M>(name: K, payload: M[K]): void {
    // A throwing listener (a closed window, a dead socket) must not stop the others.
    for (const l of this.byName.get(name) ?? []) {
      try {
        (l as (p: M[K]) => void)(payload);
      } catch (e) {
        console.error('[asgard] event listener failed', e);
      }
    }
    for (const l of this.any) {
      try {
        l(name, payload);
      } catch (e) {
        console.error('[asgard] event listener failed', e);
      }
    }
  }
}
