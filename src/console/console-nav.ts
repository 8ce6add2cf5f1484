import type { NavLink } from '../web/layout.tsx';

/** The console's header links. */
export const consoleNav: NavLink[] = [
  { href: '/console', label: 'Overview' },
  { href: '/console/tenants', label: 'Tenants' },
  { href: '/console/usage', label: 'Usage explorer' },
];
