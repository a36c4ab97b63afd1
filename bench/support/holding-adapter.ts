import { CanceledError, type AxiosAdapter } from 'axios';

/**
 * An adapter that holds every request until its `config.signal` aborts, listening the way
 * axios' own adapters do (`aborted`, then `addEventListener('abort')`).
 */
export function holdingAdapter(): { adapter: AxiosAdapter; arrived: () => number } {
  let arrived = 0;
  const adapter: AxiosAdapter = (config) =>
    new Promise((_resolve, reject) => {
      arrived++;
      const signal = config.signal;
      const onAbort = (): void => reject(new CanceledError(undefined, config));
      if (signal?.aborted) onAbort();
      else signal?.addEventListener?.('abort', onAbort);
    });
  return { adapter, arrived: () => arrived };
}
