// The shell of every sign-in page: accessible, phone-sized, self-contained HTML (no external assets or scripts).
import type { ServerResponse } from 'node:http';

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Pages allow only their own inline styles and inline SVG/data images; nothing loads from elsewhere. */
export const PAGE_SECURITY_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; frame-ancestors 'none'";

// Colours meet WCAG 2.1 AA contrast: text #0b0c0c on white (19:1), links/buttons #005eb8 with white (6.1:1),
// errors #b10e1e (7.2:1); the focus ring is a 3px #ffb81c outline with a dark inner edge.
const STYLE = `
*{box-sizing:border-box}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;font-size:100%;line-height:1.5;color:#0b0c0c;background:#f0f4f5}
body{margin:0}
main{max-width:34rem;margin:0 auto;padding:1.5rem 1rem 3rem}
.card{background:#fff;border-radius:.5rem;padding:1.5rem;box-shadow:0 1px 3px rgba(0,0,0,.15)}
h1{font-size:1.75rem;line-height:1.25;margin:0 0 1rem}
h2{font-size:1.25rem;margin:1.5rem 0 .5rem}
p,ul{margin:0 0 1rem}
label{display:block;font-weight:600;margin:0 0 .25rem}
.hint{display:block;color:#4c6272;font-weight:400;margin:0 0 .25rem}
input[type=email],input[type=password],input[type=text],input[type=search]{display:block;width:100%;font:inherit;font-size:1.125rem;padding:.625rem;border:2px solid #4c6272;border-radius:.25rem;margin:0 0 1rem;background:#fff;color:#0b0c0c}
input[aria-invalid=true]{border-color:#b10e1e}
select{display:block;width:100%;max-width:100%;font:inherit;font-size:1.125rem;min-height:44px;padding:.5rem;border:2px solid #4c6272;border-radius:.25rem;margin:0 0 1rem;background:#fff;color:#0b0c0c}
button,.button{display:inline-block;font:inherit;font-size:1.125rem;font-weight:600;min-height:44px;padding:.625rem 1.25rem;border:0;border-radius:.25rem;background:#005eb8;color:#fff;cursor:pointer;text-decoration:none;margin:0 .5rem .75rem 0}
button.secondary,.button.secondary{background:#fff;color:#005eb8;border:2px solid #005eb8}
a{color:#005eb8}
:focus-visible{outline:3px solid #ffb81c;outline-offset:0;box-shadow:0 0 0 6px #0b0c0c}
.error-summary{border:4px solid #b10e1e;padding:1rem;margin:0 0 1.5rem;background:#fff}
.error-summary h2{margin-top:0;color:#b10e1e}
.error{color:#b10e1e;font-weight:600;margin:0 0 .25rem}
.choices{list-style:none;padding:0}
.choices li{margin:0 0 .5rem}
.choices button{width:100%;text-align:left;margin:0}
fieldset{border:0;padding:0;margin:0 0 1rem}
legend{font-weight:600;margin-bottom:.5rem}
.scopes li{margin-bottom:.25rem}
.qr svg{width:14rem;height:14rem;display:block;margin:0 0 1rem}
.visually-hidden{position:absolute!important;width:1px;height:1px;margin:0;padding:0;overflow:hidden;clip:rect(0 0 0 0);border:0;white-space:nowrap}
code{font-size:1rem;word-break:break-all;background:#f0f4f5;padding:.125rem .25rem}
@media (prefers-reduced-motion:reduce){*{transition:none!important}}
`;

export interface PageOptions {
  /** The page's <title> and first heading. */
  title: string;
  /** Inner HTML of the card (already escaped where it holds user data). */
  body: string;
  /** Problems shown in an error summary that takes focus; each links to its field when `field` (an id) is given. */
  errors?: (string | { text: string; field: string })[];
}

function errorItem(error: string | { text: string; field: string }): string {
  return typeof error === 'string'
    ? `<li>${escapeHtml(error)}</li>`
    : `<li><a href="#${escapeHtml(error.field)}">${escapeHtml(error.text)}</a></li>`;
}

/** A complete HTML document for a sign-in page. */
export function renderPage({ title, body, errors = [] }: PageOptions): string {
  const summary =
    errors.length > 0
      ? `<div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1" autofocus>
<h2 id="error-summary-title">There is a problem</h2><ul>${errors.map(errorItem).join('')}</ul></div>`
      : '';
  return `<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${errors.length > 0 ? 'Error: ' : ''}${escapeHtml(title)} – RPM</title>
<style>${STYLE}</style>
</head>
<body>
<main id="main-content">
<div class="card">
${summary}<h1>${escapeHtml(title)}</h1>
${body}
</div>
</main>
</body>
</html>`;
}

/** Sends a page with the headers every sign-in page needs (no caching, no framing, nothing external). */
export function sendPage(res: ServerResponse, html: string, status = 200): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
  res.setHeader('Content-Security-Policy', PAGE_SECURITY_POLICY);
  res.setHeader('X-Frame-Options', 'DENY');
  res.end(html);
}
