/** A way to reach the other tabs of this origin: `BroadcastChannel`, or the `storage` event. */
export interface TabChannel {
  post(message: unknown): void;
  close(): void;
}

interface StorageEventLike {
  readonly key: string | null;
  readonly newValue: string | null;
}

interface EventTargetLike {
  addEventListener(type: 'storage', listener: (event: StorageEventLike) => void): void;
  removeEventListener(type: 'storage', listener: (event: StorageEventLike) => void): void;
}

/**
 * Opens `name` on `BroadcastChannel`, or, where there is none (older browsers), on the
 * `storage` event: a message is written to a key of `localStorage` and removed at once,
 * which other tabs see. `undefined` where there is neither (Node without them).
 */
export function openTabChannel(name: string, receive: (message: unknown) => void): TabChannel | undefined {
  const g = globalThis as {
    BroadcastChannel?: typeof BroadcastChannel;
    localStorage?: Storage;
    addEventListener?: EventTargetLike['addEventListener'];
    removeEventListener?: EventTargetLike['removeEventListener'];
  };
  if (typeof g.BroadcastChannel === 'function') {
    const channel = new g.BroadcastChannel(name);
    channel.onmessage = (event: MessageEvent) => receive(event.data);
    // Node: a channel must not keep the process alive.
    (channel as { unref?: () => void }).unref?.();
    return { post: (message) => channel.postMessage(message), close: () => channel.close() };
  }
  let storage: Storage | undefined;
  try {
    storage = g.localStorage;
  } catch {
    // Blocked (a sandboxed iframe): no way to the other tabs.
  }
  // (Where there is `addEventListener`, there is `removeEventListener`.)
  if (storage === undefined || typeof g.addEventListener !== 'function') return undefined;
  const key = `${name}:message`;
  const listener = (event: StorageEventLike): void => {
    // The removal that follows each message (`newValue` null) reads as `null`, which is no message.
    if (event.key === key) {
      try {
        receive(JSON.parse(event.newValue as string));
      } catch {
        // Not ours: ignored.
      }
    }
  };
  g.addEventListener('storage', listener);
  const store = storage;
  return {
    post(message) {
      try {
        store.setItem(key, JSON.stringify(message));
        store.removeItem(key);
      } catch {
        // A full or blocked storage: the other tabs do not hear of this change.
      }
    },
    close: () => g.removeEventListener?.('storage', listener),
  };
}
