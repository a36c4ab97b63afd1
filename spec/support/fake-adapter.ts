import { AxiosError, CanceledError, type AxiosAdapter, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';

/** A request the fake adapter received, and the means to answer it. */
export interface HeldRequest {
  readonly config: InternalAxiosRequestConfig;
  respond(status?: number, data?: unknown): void;
}

/**
 * An axios `adapter` fake for fast unit cases: it records every dispatched config and
 * answers 200 at once (applying `validateStatus` as axios' adapters do), or holds requests (`hold: true`) until answered or aborted,
 * listening to `config.signal` the way axios' own adapters do.
 */
export function fakeAdapter(options: { hold?: boolean } = {}): {
  adapter: AxiosAdapter;
  sent: InternalAxiosRequestConfig[];
  held: HeldRequest[];
} {
  const sent: InternalAxiosRequestConfig[] = [];
  const held: HeldRequest[] = [];
  const adapter: AxiosAdapter = (config) =>
    new Promise<AxiosResponse>((resolve, reject) => {
      sent.push(config);
      const respond = (status = 200, data: unknown = { ok: true }): void => {
        config.signal?.removeEventListener?.('abort', onAbort);
        const response: AxiosResponse = { data, status, statusText: String(status), headers: {}, config, request: {} };
        if (config.validateStatus && !config.validateStatus(status)) {
          reject(new AxiosError(`Request failed with status code ${status}`, 'ERR_BAD_RESPONSE', config, {}, response));
        } else {
          resolve(response);
        }
      };
      const onAbort = (): void => reject(new CanceledError(undefined, config));
      if (config.signal?.aborted) {
        onAbort();
        return;
      }
      config.signal?.addEventListener?.('abort', onAbort);
      if (options.hold) held.push({ config, respond });
      else respond();
    });
  return { adapter, sent, held };
}

/** The header as the adapter (the wire) saw it. */
export function authOf(config: InternalAxiosRequestConfig | undefined, name = 'Authorization'): unknown {
  return config?.headers.get(name) ?? undefined;
}
