// The app's Mantine theme: system fonts, a visible focus ring, dimmed text dark enough for WCAG AA, SMART styling.
import {
  colorsTuple,
  createTheme,
  mergeThemeOverrides,
  type CSSVariablesResolver,
  type MantineThemeOverride,
} from '@mantine/core';
import type { SmartStyle } from '../smart/smartStyle.ts';

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

/**
 * The theme with the EHR's SMART style (smart_style_url) applied: highlight → primary colour, fonts, radius, font
 * size and spacing. Values were checked by parseSmartStyle; an empty style leaves the theme as it is.
 */
export function themeWithSmartStyle(style: SmartStyle): MantineThemeOverride {
  const override: MantineThemeOverride = {
    ...(style.color_highlight ? { colors: { ehr: colorsTuple(style.color_highlight) }, primaryColor: 'ehr' } : {}),
    ...(style.font_family_body ? { fontFamily: style.font_family_body } : {}),
    ...(style.font_family_heading ? { headings: { fontFamily: style.font_family_heading } } : {}),
    ...(style.dim_border_radius ? { radius: { sm: style.dim_border_radius } } : {}),
    ...(style.dim_font_size ? { fontSizes: { md: style.dim_font_size } } : {}),
    ...(style.dim_spacing_size ? { spacing: { md: style.dim_spacing_size } } : {}),
    ...(style.color_modal_backdrop
      ? { components: { Modal: { defaultProps: { overlayProps: { color: style.color_modal_backdrop } } } } }
      : {}),
  };
  return mergeThemeOverrides(theme, override);
}

/** The CSS variables of the SMART style: page background, text and error colours (the rest is in the theme). */
export function smartStyleVariables(style: SmartStyle): CSSVariablesResolver {
  return (resolved) => {
    const base = cssVariablesResolver(resolved);
    const light: Record<string, string> = { ...base.light };
    if (style.color_background) {
      light['--mantine-color-body'] = style.color_background;
    }
    if (style.color_text) {
      light['--mantine-color-text'] = style.color_text;
    }
    if (style.color_error) {
      light['--mantine-color-error'] = style.color_error;
    }
    if (style.color_success) {
      light['--rpm-color-success'] = style.color_success;
    }
    return { ...base, light };
  };
}
