// The app's screens: one entry each (path, name in the menu, the page to load). Add a screen with one line here.
import type { ComponentType } from 'react';

export interface Screen {
  /** Path under the app (`/apps/patient/<path>`); a screen with pages of its own ends in `/*`. */
  path: string;
  /** The name in the bottom menu (a word or two, plain language). */
  label: string;
  /** Loads the page: a module whose default export is the screen's component (its own chunk). */
  load: () => Promise<{ default: ComponentType }>;
  /** false: reachable by its path and links, but not shown in the bottom menu. */
  inMenu?: boolean;
}

/** In menu order. The first is the home screen (`/`). */
export const SCREENS: readonly Screen[] = [
  { path: 'today', label: 'Today', load: () => import('./today/TodayPage.tsx') },
  { path: 'readings/*', label: 'My readings', load: () => import('./readings/ReadingsPage.tsx') },
  { path: 'add/:vital', label: 'Add a reading', load: () => import('./addReading/AddReadingPage.tsx'), inMenu: false },
  { path: 'check-in', label: 'Check-in', load: () => import('./checkins/CheckInsPage.tsx') },
  { path: 'messages', label: 'Messages', load: () => import('./messages/MessagesPage.tsx') },
  { path: 'devices', label: 'Devices', load: () => import('./devices/DevicesPage.tsx') },
];

/** The menu link of a screen: its path without the trailing `/*`. */
export function screenHref(screen: Screen): string {
  return `/${screen.path.replace(/\/\*$/, '')}`;
}
