// The salary page: asks the JSON API of this same server, draws the curve as SVG.
// No request leaves the page's own origin; no script, style or font from elsewhere.
"use strict";

const $ = (id) => document.getElementById(id);
const money = (v, cur) => `${Math.round(v).toLocaleString("en-US")} ${cur}`;
let known = [];

async function getJSON(path, params) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== "" && v != null));
  const response = await fetch(`${path}?${query}`);
  const body = await response.json();
  if (!response.ok) {
    const detail = body.detail && body.detail[0];
    const where = detail && detail.loc ? detail.loc[detail.loc.length - 1] : "request";
    throw new Error(detail ? `${where}: ${detail.msg}` : `request failed (${response.status})`);
  }
  return body;
}

function fillEmployers() {
  const country = known.find((c) => c.country === $("country").value);
  $("employers").replaceChildren(...(country ? country.employers : []).map((name) => {
    const option = document.createElement("option");
    option.value = name;
    return option;
  }));
}

// One table row; with `labels`, each cell carries its column's name for the stacked phone layout.
function row(cells, tag = "td", labels = null) {
  const tr = document.createElement("tr");
  cells.forEach((text, i) => {
    const cell = document.createElement(tag);
    cell.textContent = text;
    if (labels) cell.dataset.label = labels[i];
    tr.appendChild(cell);
  });
  return tr;
}

const columnNames = (table) => [...$(table).querySelectorAll("thead th")].map((th) => th.textContent);

function drawCurve(curve, answer) {
  const svg = $("curve");
  const W = 640, H = 320, L = 70, R = 15, T = 15, B = 35;
  const pts = curve.points;
  const maxY = Math.max(...pts.map((p) => p.p90)) * 1.05;
  const maxX = pts[pts.length - 1].years;
  const x = (v) => L + (v / maxX) * (W - L - R);
  const y = (v) => H - B - (v / maxY) * (H - T - B);
  const path = (key) => pts.map((p) => `${x(p.years).toFixed(1)},${y(p[key]).toFixed(1)}`);
  const area = (lo, hi) => [...path(hi), ...path(lo).reverse()].join(" ");
  const ns = "http://www.w3.org/2000/svg";
  const el = (name, attrs, text) => {
    const node = document.createElementNS(ns, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const children = [
    el("polygon", { class: "band", points: area("p10", "p90"), "data-band": "p10-p90" }),
    el("polygon", { class: "inner", points: area("p25", "p75"), "data-band": "p25-p75" }),
    el("polyline", { class: "median", points: path("p50").join(" "), "data-line": "p50" }),
    el("line", { class: "axis", x1: L, y1: H - B, x2: W - R, y2: H - B }),
    el("line", { class: "axis", x1: L, y1: T, x2: L, y2: H - B }),
  ];
  for (let t = 0; t <= maxX; t += 5) children.push(el("text", { class: "tick", x: x(t) - 4, y: H - B + 16 }, String(t)));
  for (let i = 0; i <= 4; i++) {
    const v = (maxY / 4) * i;
    children.push(el("text", { class: "tick", x: 4, y: y(v) + 4 }, Math.round(v / 1000).toLocaleString("en-US") + "k"));
  }
  children.push(el("text", { class: "tick", x: W / 2 - 40, y: H - 4 }, "years of experience"));
  children.push(el("circle", { class: "point", r: 6, cx: x(Math.min(answer.years, maxX)), cy: y(answer.median),
                               "data-years": answer.years, "data-median": answer.median }));
  svg.replaceChildren(...children);
}

async function ask(event) {
  if (event) event.preventDefault();
  $("error").hidden = true;
  const params = {
    country: $("country").value, years: $("years").value, company: $("company").value.trim(),
    confidence: $("confidence").value, currency: $("currency").value, as_of: $("as_of").value,
  };
  try {
    const e = await getJSON("/api/v1/estimate", params);
    $("sentence").textContent = e.sentence;
    $("details").textContent = `Support: ${e.support}; sources: ${e.sources.join(", ")}. The median itself is known to ` +
      `${money(e.median_low, e.currency)} – ${money(e.median_high, e.currency)} (80%)` +
      (e.projected ? "; wage index projected." : ".") +
      (e.company && !e.company_known ? ` ${e.company} is not known here: this is the market` +
        (e.suggestion ? ` (did you mean ${e.suggestion}?).` : ".") : "");
    const head = $("percentiles").querySelector("thead tr"), body = $("percentiles").querySelector("tbody tr");
    head.replaceChildren(...Object.keys(e.percentiles).map((k) => row([k], "th").firstChild));
    // The currency goes in the caption so that each amount fits its cell on a phone.
    body.replaceChildren(...Object.values(e.percentiles).map((v) => row([money(v, "").trim()]).firstChild));
    $("percentiles").querySelector("caption").textContent = `Percentiles of base salary (${e.currency})`;
    $("answer").hidden = false;
    const curve = await getJSON("/api/v1/curve", { country: params.country, company: params.company,
                                                   currency: params.currency, as_of: params.as_of });
    drawCurve(curve, e);
    $("curve-box").hidden = false;
    const country = known.find((c) => c.country === e.country);
    const rows = [];
    for (const employer of [null, ...(country ? country.employers : [])]) {
      const other = await getJSON("/api/v1/estimate", { ...params, company: employer || "" });
      rows.push(row([employer || "the market (any employer)", money(other.median, other.currency),
                     `${money(other.low, other.currency)} – ${money(other.high, other.currency)}`],
                     "td", columnNames("employers-table")));
    }
    $("employers-table").querySelector("tbody").replaceChildren(...rows);
    $("employers-box").hidden = false;
    const why = await getJSON("/api/v1/explain", { country: params.country, years: params.years,
                                                   company: params.company, currency: params.currency,
                                                   as_of: params.as_of });
    const p = why.band_parts;
    $("parts").textContent = `The band's width: salaries within the market spread by ${p.within_sd.toFixed(2)} (log sd); ` +
      `the median is known to ${p.median_sd_high.toFixed(2)}.`;
    $("figures").querySelector("tbody").replaceChildren(...why.figures.map((f) => row([
      f.id, f.publisher ? `${f.publisher}${f.published ? ` (${f.published})` : ""}` : f.source, f.statistic, f.level,
      // As the source published it (its own currency and year); the model's value is in the answer's money.
      f.published_value === null || f.published_value === undefined
        ? (f.reported_high ? `${money(f.reported, f.currency)} – ${money(f.reported_high, f.currency)}` : money(f.reported, f.currency))
        : (f.published_value_high ? `${money(f.published_value, f.published_currency)} – ${money(f.published_value_high, f.published_currency)}`
          : money(f.published_value, f.published_currency)) + ` (${f.published_year})`,
      f.model_high ? `${money(f.model, f.currency)} – ${money(f.model_high, f.currency)}` : money(f.model, f.currency),
    ], "td", columnNames("figures"))));
    $("figures-box").hidden = false;
  } catch (error) {
    $("error").textContent = error.message;
    $("error").hidden = false;
    $("answer").hidden = true;
  }
}

async function start() {
  const data = await getJSON("/api/v1/known", {});
  known = data.countries;
  $("country").replaceChildren(...known.map((c) => {
    const option = document.createElement("option");
    option.value = c.country;
    option.textContent = `${c.name} (${c.currency})`;
    return option;
  }));
  $("currency").append(...data.currencies.map((code) => {
    const option = document.createElement("option");
    option.value = code;
    option.textContent = code;
    return option;
  }));
  fillEmployers();
  $("country").addEventListener("change", fillEmployers);
  $("ask").addEventListener("submit", ask);
  document.body.dataset.ready = "true";
}

start();
