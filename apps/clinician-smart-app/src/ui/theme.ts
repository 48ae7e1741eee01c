// The app's Mantine theme: system fonts, a visible focus ring, and dimmed text dark enough for WCAG AA contrast.
import { createTheme, type CSSVariablesResolver } from '@mantine/core';

export const theme = createTheme({
  primaryColor: 'blue',
  primaryShade: 8,
  focusRing: 'always',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif',
  defaultRadius: 'sm',
  components: {
    // Severity words are read as words (not spelt out in capitals).
    Badge: { defaultProps: { tt: 'none' } },
  },
});

/** Mantine's default dimmed grey (#868e96) is below 4.5:1 on white; gray.7 (#495057) is 8:1. */
export const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: { '--mantine-color-dimmed': 'var(--mantine-color-gray-7)' },
  dark: {},
});
