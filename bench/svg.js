// Builds the log–log chart of unregister cost against registry size as plain SVG text.
//   chart({ sizes, series: [{ name, color, dash?, points: [[size, ns] ...] }], target }) -> string

const W = 860;
const H = 460;
const M = { left: 78, right: 265, top: 48, bottom: 62 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const round = (v) => Math.round(v * 10) / 10;

export function timeLabel(ns) {
  if (ns >= 1e6) return `${+(ns / 1e6).toPrecision(3)} ms`;
  if (ns >= 1e3) return `${+(ns / 1e3).toPrecision(3)} µs`;
  return `${+ns.toPrecision(3)} ns`;
}

const sizeLabel = (n) => (n >= 1e6 ? `${n / 1e6} M` : n >= 1e3 ? `${n / 1e3} k` : String(n)).replace(' ', '\u2009');

export function chart({ sizes, series, target, title, subtitle }) {
  const values = series.flatMap((s) => s.points.map(([, y]) => y)).filter((y) => y > 0);
  if (target) values.push(target.ns);
  const yLo = Math.floor(Math.log10(Math.min(...values)));
  const yHi = Math.ceil(Math.log10(Math.max(...values)));
  const xLo = Math.log10(Math.min(...sizes));
  const xHi = Math.log10(Math.max(...sizes));
  const x = (n) => M.left + ((Math.log10(n) - xLo) / (xHi - xLo || 1)) * PW;
  const y = (ns) => M.top + PH - ((Math.log10(ns) - yLo) / (yHi - yLo || 1)) * PH;

  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" font-size="13">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${M.left}" y="22" font-size="16" font-weight="600" fill="#111">${esc(title)}</text>`);
  if (subtitle) out.push(`<text x="${M.left}" y="39" font-size="12" fill="#555">${esc(subtitle)}</text>`);

  // Grid: a line per decade of time (with lighter 2× and 5× lines), one per registry size.
  for (let d = yLo; d <= yHi; d++) {
    const yy = round(y(10 ** d));
    out.push(`<line x1="${M.left}" x2="${M.left + PW}" y1="${yy}" y2="${yy}" stroke="#d0d0d0"/>`);
    out.push(`<text x="${M.left - 8}" y="${yy + 4}" text-anchor="end" fill="#333">${esc(timeLabel(10 ** d))}</text>`);
    if (d < yHi) {
      for (const k of [2, 5]) {
        const ym = round(y(k * 10 ** d));
        out.push(`<line x1="${M.left}" x2="${M.left + PW}" y1="${ym}" y2="${ym}" stroke="#eeeeee"/>`);
      }
    }
  }
  for (const n of sizes) {
    const xx = round(x(n));
    out.push(`<line x1="${xx}" x2="${xx}" y1="${M.top}" y2="${M.top + PH}" stroke="#d0d0d0"/>`);
    out.push(`<text x="${xx}" y="${M.top + PH + 18}" text-anchor="middle" fill="#333">${esc(sizeLabel(n))}</text>`);
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${PW}" height="${PH}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${M.left + PW / 2}" y="${H - 16}" text-anchor="middle" fill="#111">registrations in the registry (log scale)</text>`);
  out.push(`<text transform="translate(18 ${M.top + PH / 2}) rotate(-90)" text-anchor="middle" fill="#111">time per unregister call (log scale)</text>`);

  if (target) {
    const yy = round(y(target.ns));
    out.push(`<line x1="${M.left}" x2="${M.left + PW}" y1="${yy}" y2="${yy}" stroke="#c0392b" stroke-width="1.2" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${M.left + 6}" y="${yy - 6}" fill="#c0392b" font-size="12">${esc(target.label)}</text>`);
  }

  for (const s of [...series].reverse()) { // the first series is drawn last, on top
    const pts = s.points.filter(([, v]) => v > 0).map(([n, v]) => `${round(x(n))},${round(y(v))}`);
    if (!pts.length) continue;
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
    out.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${s.color}" stroke-width="${s.width ?? 2}"${dash} stroke-linejoin="round"/>`);
    for (const p of pts) {
      const [cx, cy] = p.split(',');
      out.push(`<circle cx="${cx}" cy="${cy}" r="${s.width ? 4.5 : 3.5}" fill="${s.color}"/>`);
    }
  }

  // Legend, to the right of the plot.
  const lx = M.left + PW + 18;
  out.push(`<text x="${lx}" y="${M.top + 4}" font-weight="600" fill="#111">contender</text>`);
  series.forEach((s, i) => {
    const ly = M.top + 26 + i * 24;
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
    out.push(`<line x1="${lx}" x2="${lx + 26}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="${s.width ?? 2}"${dash}/>`);
    out.push(`<circle cx="${lx + 13}" cy="${ly}" r="3.5" fill="${s.color}"/>`);
    out.push(`<text x="${lx + 34}" y="${ly + 4}" fill="#111">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
