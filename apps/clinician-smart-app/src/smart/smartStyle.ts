// SMART `smart_style_url`: fetches the EHR's style document and keeps only the values that are safe to use as CSS.
/** SMART App Launch 2 styling (the keys the app applies); every value optional. */
export interface SmartStyle {
  color_background?: string;
  color_error?: string;
  color_highlight?: string;
  color_modal_backdrop?: string;
  color_success?: string;
  color_text?: string;
  dim_border_radius?: string;
  dim_font_size?: string;
  dim_spacing_size?: string;
  font_family_body?: string;
  font_family_heading?: string;
}

const COLOR = /^(#(?:[0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})|(?:rgba?|hsla?)\([\d\s.,%/]+\))$/i;
const DIMENSION = /^\d{1,3}(?:\.\d{1,3})?(?:px|rem|em)$/;
const FONT = /^[\w\s"',.-]{1,200}$/;

const CHECKS: Readonly<Record<keyof SmartStyle, RegExp>> = {
  color_background: COLOR,
  color_error: COLOR,
  color_highlight: COLOR,
  color_modal_backdrop: COLOR,
  color_success: COLOR,
  color_text: COLOR,
  dim_border_radius: DIMENSION,
  dim_font_size: DIMENSION,
  dim_spacing_size: DIMENSION,
  font_family_body: FONT,
  font_family_heading: FONT,
};

/** The usable values of a style document: known keys whose values are plain colours, sizes or font lists. */
export function parseSmartStyle(document: unknown): SmartStyle {
  const style: SmartStyle = {};
  if (!document || typeof document !== 'object') {
    return style;
  }
  for (const [key, check] of Object.entries(CHECKS) as [keyof SmartStyle, RegExp][]) {
    const value = (document as Record<string, unknown>)[key];
    if (typeof value === 'string' && check.test(value.trim())) {
      style[key] = value.trim();
    }
  }
  return style;
}

/** How long the app waits for the style before it opens with its own. */
const STYLE_TIMEOUT_MS = 3_000;

/** The style at `url`; an empty style when it is absent, slow, not JSON or unreachable (the app's own look). */
export async function loadSmartStyle(url: string | undefined): Promise<SmartStyle> {
  if (!url) {
    return {};
  }
  try {
    const response = await fetch(url, {
      credentials: 'omit',
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(STYLE_TIMEOUT_MS),
    });
    return response.ok ? parseSmartStyle(await response.json()) : {};
  } catch {
    return {};
  }
}
