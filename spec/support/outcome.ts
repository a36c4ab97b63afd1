import axios, { type AxiosError } from 'axios';

/** How a request settled, as its caller sees it. */
export interface Outcome {
  readonly ok: boolean;
  readonly cancel: boolean;
  readonly error?: AxiosError;
}

/** Settles a request into what a caller can observe of it. */
export async function outcome(request: Promise<unknown>): Promise<Outcome> {
  try {
    await request;
    return { ok: true, cancel: false };
  } catch (err) {
    return { ok: false, cancel: axios.isCancel(err), error: err as AxiosError };
  }
}

/** A promise to hold something until `open()` is called. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
