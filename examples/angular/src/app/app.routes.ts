import type { Routes } from '@angular/router';
import { authGuard } from 'rx-session/angular';
import { LoginPage } from './login.page';
import { ProfilePage } from './profile.page';

export const routes: Routes = [
  { path: 'login', component: LoginPage },
  { path: 'profile', component: ProfilePage, canActivate: [authGuard] },
  { path: '', pathMatch: 'full', redirectTo: 'profile' },
  { path: '**', redirectTo: 'profile' },
];
