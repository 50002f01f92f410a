// Bar and line charts drawn as inline SVG: nothing to download, every figure is in the DOM.

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 640;

function svgElement(name, attributes = {}, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

function canvas(height, label) {
  return svgElement("svg", {
    viewBox: `0 0 ${WIDTH} ${height}`, width: "100%", role: "img", "aria-label": label,
    preserveAspectRatio: "xMinYMin meet",
  });
}

function empty(container, message) {
  const note = document.createElement("p");
  note.className = "empty";
  note.textContent = message;
  container.replaceChildren(note);
}

/** A step of 1, 2 or 5 times a power of ten giving about `count` intervals up to `max`. */
export function niceStep(max, count = 4) {
  if (max <= 0) return 1;
  const rough = max / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough);
  return Math.max(1, step);
}

function shorten(text, maxChars) {
  return text.length > maxChars ? text.slice(0, maxChars - 1) + "…" : text;
}

/**
 * Horizontal stacked bars, one per group.
 * bars: [{label, count, overdue, segments: [{key, value}]}]; series: [{key, name}] (colours come from CSS).
 */
export function drawBars(container, bars, series, { emptyMessage = "暂无数据" } = {}) {
  if (!bars.length) return empty(container, emptyMessage);
  const rowHeight = 30;
  const top = 6;
  const height = top + bars.length * rowHeight + 4;
  const longest = Math.max(...bars.map((b) => b.label.length));
  const labelChars = Math.min(longest, 14);
  const labelWidth = 14 + labelChars * 13;
  const valueWidth = 104;
  const barWidth = WIDTH - labelWidth - valueWidth;
  const max = Math.max(1, ...bars.map((b) => b.count));
  const svg = canvas(height, "报名人数条形图");

  bars.forEach((bar, index) => {
    const y = top + index * rowHeight;
    const group = svgElement("g", { class: "bar", "data-label": bar.label, "data-count": bar.count });
    group.append(svgElement("title", {}, `${bar.label}：${bar.count} 人` +
      series.map((s) => `，${s.name} ${segmentValue(bar, s.key)}`).join("") +
      (bar.overdue ? `，审核超期 ${bar.overdue}` : "")));
    group.append(svgElement("text", { class: "bar-label", x: labelWidth - 8, y: y + 19, "text-anchor": "end" },
      shorten(bar.label, labelChars)));
    let x = labelWidth;
    for (const s of series) {
      const width = (segmentValue(bar, s.key) / max) * barWidth;
      if (width <= 0) continue;
      group.append(svgElement("rect", {
        class: `segment series-${s.key}`, x: x.toFixed(2), y: y + 5, width: width.toFixed(2), height: rowHeight - 10,
      }));
      x += width;
    }
    group.append(svgElement("text", { class: "bar-value", x: x + 6, y: y + 19 }, String(bar.count)));
    if (bar.overdue) {
      const offset = 6 + String(bar.count).length * 8 + 8;
      group.append(svgElement("text", { class: "bar-overdue", x: x + offset, y: y + 19 }, `超期 ${bar.overdue}`));
    }
    svg.append(group);
  });
  container.replaceChildren(svg);
}

function segmentValue(bar, key) {
  const found = bar.segments.find((s) => s.key === key);
  return found ? found.value : 0;
}

/** Every day from the first to the last, the missing ones as zero. days: [{day: "YYYY-MM-DD", count}]. */
export function fillDays(days) {
  if (!days.length) return [];
  const byDay = new Map(days.map((d) => [d.day, d.count]));
  const sorted = [...byDay.keys()].sort();
  const filled = [];
  const last = new Date(sorted[sorted.length - 1] + "T00:00:00Z");
  for (let at = new Date(sorted[0] + "T00:00:00Z"); at <= last; at.setUTCDate(at.getUTCDate() + 1)) {
    const day = at.toISOString().slice(0, 10);
    filled.push({ day, count: byDay.get(day) || 0 });
  }
  return filled;
}

/** A line of counts per day with the values written above the points when they fit. */
export function drawDailyLine(container, days, { emptyMessage = "暂无已提交的报名" } = {}) {
  const points = fillDays(days);
  if (!points.length) return empty(container, emptyMessage);
  const height = 260;
  const left = 48;
  const right = 20;
  const top = 24;
  const bottom = 36;
  const plotWidth = WIDTH - left - right;
  const plotHeight = height - top - bottom;
  const step = niceStep(Math.max(...points.map((p) => p.count)));
  const max = Math.max(step, Math.ceil(Math.max(...points.map((p) => p.count)) / step) * step);
  const xOf = (i) => left + (points.length === 1 ? plotWidth / 2 : (i * plotWidth) / (points.length - 1));
  const yOf = (v) => top + plotHeight - (v / max) * plotHeight;
  const svg = canvas(height, "每日提交人数折线图");

  for (let v = 0; v <= max; v += step) {
    svg.append(svgElement("line", { class: "grid", x1: left, x2: WIDTH - right, y1: yOf(v), y2: yOf(v) }));
    svg.append(svgElement("text", { class: "axis", x: left - 6, y: yOf(v) + 4, "text-anchor": "end" }, String(v)));
  }
  const line = points.map((p, i) => `${xOf(i).toFixed(1)},${yOf(p.count).toFixed(1)}`).join(" ");
  const baseline = yOf(0).toFixed(1);
  svg.append(svgElement("polygon", {
    class: "area", points: `${xOf(0).toFixed(1)},${baseline} ${line} ${xOf(points.length - 1).toFixed(1)},${baseline}`,
  }));
  svg.append(svgElement("polyline", { class: "line", points: line }));

  const labelEvery = Math.ceil(points.length / 8);
  const valuesFit = points.length <= 20;
  points.forEach((p, i) => {
    const [, month, day] = p.day.split("-");
    const shown = `${Number(month)}月${Number(day)}日`;
    const point = svgElement("g", { class: "point", "data-day": p.day, "data-count": p.count });
    point.append(svgElement("circle", { cx: xOf(i), cy: yOf(p.count), r: 3.5 }));
    point.append(svgElement("title", {}, `${shown}：${p.count} 人`));
    if (valuesFit) {
      point.append(svgElement("text", { class: "point-value", x: xOf(i), y: yOf(p.count) - 9, "text-anchor": "middle" },
        String(p.count)));
    }
    svg.append(point);
    if (i % labelEvery === 0 || i === points.length - 1) {
      svg.append(svgElement("text", { class: "axis", x: xOf(i), y: height - 12, "text-anchor": "middle" },
        `${Number(month)}/${Number(day)}`));
    }
  });
  container.replaceChildren(svg);
}
