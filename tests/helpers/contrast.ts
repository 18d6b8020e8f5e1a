/**
 * WCAG contrast of every visible text node's colour against the background it is drawn on (the
 * nearest ancestor with an opaque background), computed in the page. Returns the failures.
 * Disabled controls are left out, as WCAG 1.4.3 leaves out inactive components.
 */
export const CONTRAST_SCRIPT = `(() => {
  // Any CSS colour (Tailwind 4 computes oklch) to sRGB through a 1x1 canvas.
  const ctx = document.createElement('canvas').getContext('2d', { willReadFrequently: true });
  const parse = (c) => { if (!c || c === 'transparent') return { r: 0, g: 0, b: 0, a: 0 }; ctx.clearRect(0, 0, 1, 1); ctx.fillStyle = '#000'; ctx.fillStyle = c; ctx.fillRect(0, 0, 1, 1); const d = ctx.getImageData(0, 0, 1, 1).data; return { r: d[0], g: d[1], b: d[2], a: d[3] / 255 }; };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const bgOf = (el) => { for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor); if (c && c.a >= 0.9) return c; } return parse(getComputedStyle(document.body).backgroundColor) || { r: 255, g: 255, b: 255, a: 1 }; };
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement; if (!el || seen.has(el) || !n.textContent.trim()) continue; seen.add(el);
    const s = getComputedStyle(el); const r = el.getBoundingClientRect();
    if (s.visibility === 'hidden' || Number(s.opacity) < 0.5 || r.width === 0 || r.height === 0 || el.closest('[aria-hidden="true"],.sr-only,option,select,:disabled,[aria-disabled="true"]')) continue;
    const fg = parse(s.color); if (!fg) continue;
    const bg = bgOf(el);
    const mix = { r: fg.r * fg.a + bg.r * (1 - fg.a), g: fg.g * fg.a + bg.g * (1 - fg.a), b: fg.b * fg.a + bg.b * (1 - fg.a) };
    const [l1, l2] = [lum(mix), lum(bg)].sort((a, b) => b - a);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    if (ratio < 4.5) out.push({ text: n.textContent.trim().slice(0, 40), ratio: Math.round(ratio * 100) / 100, color: s.color, background: 'rgb(' + [bg.r, bg.g, bg.b].join(',') + ')', className: String(el.className).slice(0, 120) });
  }
  return out;
})()`;

export interface ContrastFailure {
  text: string;
  ratio: number;
  color: string;
  background: string;
  className: string;
}
