// SMART styling: only safe CSS values are kept, and they reach the Mantine theme and CSS variables.
import { DEFAULT_THEME, mergeMantineTheme } from '@mantine/core';
import { describe, expect, test } from 'vitest';
import { smartStyleVariables, themeWithSmartStyle } from '../ui/theme.ts';
import { parseSmartStyle } from './smartStyle.ts';

describe('smart_style_url', () => {
  test('keeps colours, sizes and font lists; drops unknown keys and values that could inject CSS', () => {
    expect(
      parseSmartStyle({
        color_highlight: '#005eb8',
        color_background: 'rgb(240, 244, 245)',
        color_error: 'red; background: url(https://evil.example)',
        dim_border_radius: '4px',
        dim_font_size: '16',
        font_family_body: '"Frutiger W01", Arial, sans-serif',
        font_family_heading: 'x}body{display:none',
        unknown: '#fff',
      })
    ).toEqual({
      color_highlight: '#005eb8',
      color_background: 'rgb(240, 244, 245)',
      dim_border_radius: '4px',
      font_family_body: '"Frutiger W01", Arial, sans-serif',
    });
    expect(parseSmartStyle('not json')).toEqual({});
    expect(parseSmartStyle(null)).toEqual({});
  });

  test('the style becomes the primary colour, fonts, radius and the page colours', () => {
    const style = parseSmartStyle({
      color_highlight: '#005eb8',
      color_background: '#f0f4f5',
      color_text: '#0b0c0c',
      font_family_heading: 'Georgia, serif',
      dim_spacing_size: '18px',
    });
    const theme = mergeMantineTheme(DEFAULT_THEME, themeWithSmartStyle(style));
    expect(theme.primaryColor).toBe('ehr');
    expect(theme.colors.ehr[8]).toBe('#005eb8');
    expect(theme.headings.fontFamily).toBe('Georgia, serif');
    expect(theme.spacing.md).toBe('18px');
    expect(theme.focusRing).toBe('always');
    const variables = smartStyleVariables(style)(theme);
    expect(variables.light['--mantine-color-body']).toBe('#f0f4f5');
    expect(variables.light['--mantine-color-text']).toBe('#0b0c0c');
    expect(variables.light['--mantine-color-dimmed']).toBe('var(--mantine-color-gray-7)');
    // No style: the app's own theme.
    expect(mergeMantineTheme(DEFAULT_THEME, themeWithSmartStyle({})).primaryColor).toBe('blue');
  });
});
