import { DestroyRef, Injectable, inject } from '@angular/core';
import axios from 'axios';
import { bindAxios, SessionStore } from 'rx-session';

/**
 * An axios instance next to `HttpClient`, following the same store: it shares the session,
 * the fence and the one refresh with the interceptor.
 */
@Injectable({ providedIn: 'root' })
export class ApiAxios {
  readonly instance = axios.create();

  constructor() {
    const unbind = bindAxios(inject(SessionStore), this.instance);
    inject(DestroyRef).onDestroy(unbind);
  }
}
